"""API tokens: issued for a password, rotated, revoked; a new password revokes them all.

Tokens are django-rest-knox's: only a SHA-512 digest is stored, each has an expiry
(REST_KNOX["TOKEN_TTL"]), and the caller sees the key once, when it is issued.
"""

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from knox.models import AuthToken

from tenants.models import User


def issue_api_token(*, user):
    """A new token for `user`: returns the stored row and the key to hand to the caller."""
    return AuthToken.objects.create(user=user)


@transaction.atomic
def rotate_api_token(*, token):
    """A new token for the owner of `token`, which stops working at once."""
    user = token.user
    token.delete()
    return issue_api_token(user=user)


def revoke_api_token(*, token):
    token.delete()


def revoke_api_tokens(*, user):
    """Every token of `user` stops working (password changed, 'log out everywhere')."""
    AuthToken.objects.filter(user=user).delete()


@receiver(pre_save, sender=User)
def _note_a_new_password(sender, instance, **kwargs):
    # set_password() leaves the raw password in `_password` until the save that stores it;
    # every path that changes a password (change and reset views, admin, shell) goes this way.
    instance._assay_password_changed = instance.pk is not None and instance._password is not None


@receiver(post_save, sender=User)
def _revoke_tokens_on_a_new_password(sender, instance, created, **kwargs):
    if getattr(instance, "_assay_password_changed", False):
        revoke_api_tokens(user=instance)
        instance._assay_password_changed = False

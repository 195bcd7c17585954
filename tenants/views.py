"""Web views of a tenant: home, client organizations and people. Requests arrive resolved to a
tenant and an active membership by TenantMiddleware; reads go through selectors, writes through
services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms import submitted
from tenants import selectors, services
from tenants.access import require_capability
from tenants.forms import (
    AuthorisationForm,
    DirectorySettingsForm,
    MembershipForm,
    OrganizationForm,
)
from tenants.roles import Capability, Role


def tenant_home(request):
    membership = request.membership
    organizations = selectors.organizations_visible_to(membership)
    return render(
        request,
        "tenants/home.html",
        {
            "organization_count": organizations.filter(is_active=True).count(),
            "own_organization": membership.organization,
        },
    )


def organization_list(request):
    organizations = selectors.organizations_visible_to(request.membership)
    query = request.GET.get("q", "").strip()
    if query:
        organizations = organizations.filter(
            Q(legal_name__icontains=query)
            | Q(english_name__icontains=query)
            | Q(registration_id__icontains=query)
        )
    if request.GET.get("inactive") != "1":
        organizations = organizations.filter(is_active=True)
    page = Paginator(organizations.order_by("legal_name", "pk"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "tenants/organization_list.html", {"page": page, "query": query})


def organization_detail(request, organization_id):
    organization = get_object_or_404(
        selectors.organizations_visible_to(request.membership), pk=organization_id
    )
    people = selectors.memberships_visible_to(request.membership).filter(organization=organization)
    return render(
        request,
        "tenants/organization_detail.html",
        {"organization": organization, "people": people},
    )


def organization_create(request):
    require_capability(request.membership, Capability.MANAGE_ORGANIZATIONS)
    form = OrganizationForm(submitted(request))
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.create_organization(
                tenant=request.tenant, by=request.membership, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Organization created."))
            return redirect("tenants:organization_detail", request.tenant.slug, organization.pk)
    return render(request, "tenants/organization_form.html", {"form": form})


def organization_edit(request, organization_id):
    organization = get_object_or_404(
        selectors.organizations_visible_to(request.membership), pk=organization_id
    )
    require_capability(request.membership, Capability.MANAGE_ORGANIZATIONS)
    form = OrganizationForm(submitted(request), instance=organization)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(
                organization=organization, by=request.membership, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Organization saved."))
            return redirect("tenants:organization_detail", request.tenant.slug, organization.pk)
    return render(
        request, "tenants/organization_form.html", {"form": form, "organization": organization}
    )


def directory_settings(request):
    """Whether this body lists its consenting certified clients in the public directory."""
    require_capability(request.membership, Capability.MANAGE_SETTINGS)
    tenant = request.tenant
    form = DirectorySettingsForm(
        submitted(request), initial={"publish_directory": tenant.publish_directory}
    )
    if request.method == "POST" and form.is_valid():
        services.set_directory_publishing(
            tenant=tenant, by=request.membership, publish=form.cleaned_data["publish_directory"]
        )
        messages.success(request, _("Directory setting saved."))
        return redirect("tenants:directory_settings", tenant.slug)
    organizations = selectors.organizations_visible_to(request.membership)
    return render(
        request,
        "tenants/directory_settings.html",
        {
            "form": form,
            "consenting": organizations.filter(directory_consent=True, is_active=True).count(),
        },
    )


@require_POST
def organization_set_active(request, organization_id):
    organization = get_object_or_404(
        selectors.organizations_visible_to(request.membership), pk=organization_id
    )
    active = request.POST.get("active") == "1"
    services.set_organization_active(
        organization=organization, by=request.membership, active=active
    )
    messages.success(
        request, _("Organization reactivated.") if active else _("Organization deactivated.")
    )
    return redirect("tenants:organization_detail", request.tenant.slug, organization.pk)


def membership_list(request):
    memberships = selectors.memberships_visible_to(request.membership)
    role = request.GET.get("role", "")
    if role:
        memberships = memberships.filter(role=role)
    page = Paginator(memberships.order_by("user__email", "pk"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "tenants/membership_list.html",
        {"page": page, "role": role, "role_choices": Role.choices},
    )


def membership_create(request):
    require_capability(request.membership, Capability.MANAGE_MEMBERSHIPS)
    organizations = selectors.organizations_visible_to(request.membership).filter(is_active=True)
    form = MembershipForm(submitted(request), organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_member(
                tenant=request.tenant, by=request.membership, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Person added; they were emailed a link to log in."))
            return redirect("tenants:membership_list", request.tenant.slug)
    return render(request, "tenants/membership_form.html", {"form": form})


def membership_edit(request, membership_id):
    membership = get_object_or_404(
        selectors.memberships_visible_to(request.membership), pk=membership_id
    )
    require_capability(request.membership, Capability.MANAGE_MEMBERSHIPS)
    organizations = selectors.organizations_visible_to(request.membership)
    initial = {
        "email": membership.user.email,
        "display_name": membership.display_name,
        "role": membership.role,
        "organization": membership.organization,
        "is_active": membership.is_active,
    }
    form = MembershipForm(
        submitted(request), initial=initial, organizations=organizations, editing=True
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_membership(
                membership=membership,
                by=request.membership,
                role=data["role"],
                organization=data["organization"],
                is_active=data["is_active"],
                display_name=data["display_name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Membership saved."))
            return redirect("tenants:membership_list", request.tenant.slug)
    return render(request, "tenants/membership_form.html", {"form": form, "edited": membership})


def authorisation_list(request):
    """Competence and authorisation of the body's staff; tenant admins record and revoke."""
    require_capability(request.membership, Capability.VIEW_MEMBERSHIPS)
    from tenants.models import User
    from tenants.roles import has_capability

    may_manage = has_capability(request.membership, Capability.MANAGE_MEMBERSHIPS)
    people = User.objects.filter(
        memberships__tenant=request.tenant,
        memberships__is_active=True,
        memberships__role__in=[Role.TENANT_ADMIN, Role.ASSESSOR, Role.REVIEWER, Role.OFFICER],
    ).order_by("email")
    form = AuthorisationForm(submitted(request), people=people)
    if request.method == "POST":
        require_capability(request.membership, Capability.MANAGE_MEMBERSHIPS)
        if form.is_valid():
            try:
                services.grant_authorisation(
                    tenant=request.tenant, by=request.membership, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Authorisation recorded."))
                return redirect("tenants:authorisation_list", request.tenant.slug)
    authorisations = selectors.authorisations_visible_to(request.membership)
    return render(
        request,
        "tenants/authorisation_list.html",
        {"authorisations": authorisations, "form": form, "may_manage": may_manage},
    )


@require_POST
def authorisation_revoke(request, authorisation_id):
    authorisation = get_object_or_404(
        selectors.authorisations_visible_to(request.membership), pk=authorisation_id
    )
    services.revoke_authorisation(authorisation=authorisation, by=request.membership)
    messages.success(request, _("Authorisation revoked."))
    return redirect("tenants:authorisation_list", request.tenant.slug)

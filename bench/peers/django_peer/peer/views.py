"""The thin DRF view a django-organizations user would write: token auth, members only,
one page of 50 organization users with their user fields."""

from organizations.models import Organization, OrganizationUser
from rest_framework import generics, pagination, serializers
from rest_framework.exceptions import NotFound


class Page(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


class MemberSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(source="user.id")
    username = serializers.CharField(source="user.username")
    email = serializers.EmailField(source="user.email")
    display_name = serializers.CharField(source="user.get_full_name")

    class Meta:
        model = OrganizationUser
        fields = ["user_id", "username", "email", "display_name", "is_admin", "created", "modified"]


class MemberList(generics.ListAPIView):
    serializer_class = MemberSerializer
    pagination_class = Page

    def get_queryset(self):
        org = Organization.objects.filter(slug=self.kwargs["slug"]).first()
        # Permission check: only members see the member list (and outsiders get a 404).
        if org is None or not org.is_member(self.request.user):
            raise NotFound()
        return (
            OrganizationUser.objects.filter(organization=org)
            .select_related("user")
            .order_by("-created", "-id")
        )

from django.urls import path

from peer.views import MemberList

urlpatterns = [path("orgs/<slug:slug>/members", MemberList.as_view())]

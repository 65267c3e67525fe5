"""Invitations into a workspace: created by its owners, accepted once by the invitee."""

"""Every REST endpoint of ``/api/v1``, in one list for the router and the OpenAPI document."""

from server.http import (
    audit,
    chat,
    files,
    forum,
    mail,
    moderation,
    polls,
    privacy,
    projects,
    reactions,
    reports,
    search,
    seen,
)

ENDPOINTS = [*projects.ENDPOINTS, *forum.ENDPOINTS, *mail.ENDPOINTS, *files.ENDPOINTS, *moderation.ENDPOINTS,
             *reports.ENDPOINTS, *audit.ENDPOINTS, *privacy.ENDPOINTS, *chat.ENDPOINTS, *reactions.ENDPOINTS,
             *polls.ENDPOINTS, *seen.ENDPOINTS, *search.ENDPOINTS]

"""Every REST endpoint of ``/api/v1``, in one list for the router and the OpenAPI document."""

from server.http import audit, files, forum, mail, moderation, privacy, projects, reports

ENDPOINTS = [*projects.ENDPOINTS, *forum.ENDPOINTS, *mail.ENDPOINTS, *files.ENDPOINTS, *moderation.ENDPOINTS,
             *reports.ENDPOINTS, *audit.ENDPOINTS, *privacy.ENDPOINTS]

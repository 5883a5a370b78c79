"""Every REST endpoint of ``/api/v1``, in one list for the router and the OpenAPI document."""

from server.http import files, forum, mail, projects, reports

ENDPOINTS = [*projects.ENDPOINTS, *forum.ENDPOINTS, *mail.ENDPOINTS, *files.ENDPOINTS, *reports.ENDPOINTS]

"""Server-rendered pages for clerks, caseworkers and supervisors: thin, like the API.

Pages call the same services and queries as the API (``safepassage.registry.services`` /
``queries``, ``safepassage.security.services``); they hold no business rules of their own.
``safepassage.web.pages.install(app, container)`` mounts them on the ASGI app.
"""

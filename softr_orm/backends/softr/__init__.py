"""Softr's Database API and Users Management API: endpoints, wire shapes, paging, the compiler
of condition trees into Softr's search body, and the backend the ORM talks to."""

"""Backends: what the ORM needs from a database service (:mod:`softr_orm.backends.base`, the
seam) and one package per service that provides it (:mod:`softr_orm.backends.softr`)."""

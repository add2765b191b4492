"""Every route under /api/v1, gathered from the domain packages' views."""

from __future__ import annotations

from fastapi import APIRouter

from amparo.api import health
from amparo.auth import views as auth_views
from amparo.cases import views as case_views
from amparo.people import views as people_views
from amparo.regularization import views as regularization_views

router = APIRouter()
router.include_router(health.router)
router.include_router(auth_views.router)
router.include_router(auth_views.me_router)
router.include_router(people_views.router)
router.include_router(case_views.router)
router.include_router(regularization_views.router)

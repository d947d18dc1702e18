"""No route with {establishment_id} in its path can forget the establishment check."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from hygie.org.access import Action
from hygie.web.deps import GroupReadScope, ReadScope, establishment_scope
from hygie.web.registry import api_routes, unscoped_routes


def test_every_route_with_an_establishment_id_declares_establishment_scope(app: FastAPI) -> None:
    assert unscoped_routes(app) == []
    # The walk does see the org routes (included routers are nested in recent FastAPI).
    walked = {r.path for r in api_routes(app.routes)}
    assert "/e/{establishment_id}" in walked and "/api/v1/establishments/{establishment_id}" in walked


def test_the_walk_finds_a_route_that_forgot_it(app: FastAPI) -> None:
    router = APIRouter()

    @router.get("/api/v1/establishments/{establishment_id}/leak")
    def leak(establishment_id: int) -> int:
        return establishment_id

    @router.post("/e/{establishment_id}/fine", dependencies=[establishment_scope(Action.WRITE)])
    def fine(establishment_id: int) -> int:
        return establishment_id

    @router.get("/e/{establishment_id}/also-fine")
    def also_fine(scope: ReadScope) -> int:
        return scope.id

    app.include_router(router)
    assert unscoped_routes(app) == ["GET /api/v1/establishments/{establishment_id}/leak"]


def test_the_walk_finds_a_group_route_that_forgot_its_scope(app: FastAPI) -> None:
    router = APIRouter()

    @router.get("/api/v1/groups/{group_id}/leak")
    def leak(group_id: int) -> int:
        return group_id

    @router.get("/g/{group_id}/fine")
    def fine(scope: GroupReadScope) -> int:
        return scope.id

    app.include_router(router)
    assert unscoped_routes(app) == ["GET /api/v1/groups/{group_id}/leak"]
    # The group's own routes all declare it.
    walked = {r.path for r in api_routes(app.routes)}
    assert {"/g/{group_id}", "/api/v1/groups/{group_id}"} <= walked

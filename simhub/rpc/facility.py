"""``simhub.v1.FacilityService``: maps requests to ``FacilityService`` calls and back."""

from __future__ import annotations

import grpc

from simhub._proto.simhub.v1 import facility_pb2, facility_pb2_grpc
from simhub.facility.service import Clock, FacilityService
from simhub.rpc import mappers, paging
from simhub.rpc.auth import current_principal
from simhub.rpc.blocking import Blocking


class FacilityServicer(facility_pb2_grpc.FacilityServiceServicer):
    def __init__(self, service: FacilityService, blocking: Blocking, clock: Clock) -> None:
        self._service = service
        self._blocking = blocking
        self._clock = clock

    async def ListCabins(
        self, request: facility_pb2.ListCabinsRequest, context: grpc.aio.ServicerContext
    ) -> facility_pb2.ListCabinsResponse:
        size = paging.page_size(request.page_size)
        offset = paging.decode(request.page_token, "cabins")
        cabins = self._service.cabins()
        page = cabins[offset : offset + size]
        return facility_pb2.ListCabinsResponse(
            cabins=[mappers.cabin(c) for c in page],
            next_page_token=paging.next_token(offset, size, len(page), "cabins", len(cabins)),
        )

    async def GetCabin(
        self, request: facility_pb2.GetCabinRequest, context: grpc.aio.ServicerContext
    ) -> facility_pb2.Cabin:
        return mappers.cabin(self._service.cabin(request.cabin_id))

    async def GetFacilityState(
        self, request: facility_pb2.GetFacilityStateRequest, context: grpc.aio.ServicerContext
    ) -> facility_pb2.FacilityState:
        state = await self._blocking.run(self._service.state)
        return mappers.facility_state(self._service.facility, state, self._clock())

    async def MountCabin(
        self, request: facility_pb2.MountCabinRequest, context: grpc.aio.ServicerContext
    ) -> facility_pb2.Changeover:
        changeover = await self._blocking.run(
            self._service.mount, current_principal(), request.cabin_id, request.reason
        )
        return mappers.changeover(changeover)

    async def ListChangeovers(
        self, request: facility_pb2.ListChangeoversRequest, context: grpc.aio.ServicerContext
    ) -> facility_pb2.ListChangeoversResponse:
        size = paging.page_size(request.page_size)
        offset = paging.decode(request.page_token, "changeovers")
        rows = await self._blocking.run(self._service.changeovers, size, offset)
        return facility_pb2.ListChangeoversResponse(
            changeovers=[mappers.changeover(c) for c in rows],
            next_page_token=paging.next_token(offset, size, len(rows), "changeovers"),
        )

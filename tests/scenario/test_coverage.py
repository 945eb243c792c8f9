"""Actions, conditions and positions that the esmini samples do not use, read from one file."""

from __future__ import annotations

import pytest

import simhub.scenario as sc
from simhub.scenario import actions, conditions, entities, global_actions, positions, routes
from simhub.scenario.nodes import ScenarioError
from simhub.scenario.xosc import parse_xosc_text
from simhub.scenario.yaml_form import parse_yaml_text

from .conftest import INTEROP, need_interop

POSITION = '<Position><WorldPosition x="1" y="2" h="0.1"/></Position>'
COND = '<Condition name="{name}" delay="0" conditionEdge="rising">{body}</Condition>'


def by_entity(inner: str) -> str:
    return ('<ByEntityCondition><TriggeringEntities triggeringEntitiesRule="any">'
            '<EntityRef entityRef="Ego"/></TriggeringEntities>'
            f'<EntityCondition>{inner}</EntityCondition></ByEntityCondition>')


CONDITIONS = [
    by_entity('<CollisionCondition><ByType type="vehicle"/></CollisionCondition>'),
    by_entity('<CollisionCondition><EntityRef entityRef="Target"/></CollisionCondition>'),
    by_entity('<OffroadCondition duration="1"/>'),
    by_entity('<EndOfRoadCondition duration="0"/>'),
    by_entity('<TraveledDistanceCondition value="100"/>'),
    by_entity('<StandStillCondition duration="2"/>'),
    by_entity('<SpeedCondition value="10" rule="lessThan"/>'),
    by_entity('<DistanceCondition value="5" freespace="false" rule="lessThan" '
              f'coordinateSystem="entity">{POSITION}</DistanceCondition>'),
    by_entity('<TimeToCollisionCondition value="2" freespace="true" rule="lessThan">'
              '<TimeToCollisionConditionTarget><EntityRef entityRef="Target"/>'
              '</TimeToCollisionConditionTarget></TimeToCollisionCondition>'),
    by_entity(f'<ReachPositionCondition tolerance="1">{POSITION}</ReachPositionCondition>'),
    '<ByValueCondition><ParameterCondition parameterRef="P" value="1" rule="equalTo"/>'
    '</ByValueCondition>',
    '<ByValueCondition><TimeOfDayCondition dateTime="2024-01-01T12:00:00" rule="greaterThan"/>'
    '</ByValueCondition>',
    '<ByValueCondition><VariableCondition variableRef="V" value="1" rule="equalTo"/>'
    '</ByValueCondition>',
    '<ByValueCondition><TrafficSignalControllerCondition trafficSignalControllerRef="c" '
    'phase="go"/></ByValueCondition>',
]

ACTIONS = [
    '<GlobalAction><EnvironmentAction><Environment name="wet">'
    '<TimeOfDay animation="false" dateTime="2024-01-01T12:00:00"/>'
    '<Weather><Precipitation precipitationType="rain" precipitationIntensity="5"/></Weather>'
    '<RoadCondition frictionScaleFactor="0.6"/></Environment></EnvironmentAction></GlobalAction>',
    '<GlobalAction><EnvironmentAction><CatalogReference catalogName="VehicleCatalog" '
    'entryName="winter"/></EnvironmentAction></GlobalAction>',
    '<GlobalAction><EntityAction entityRef="Target"><DeleteEntityAction/></EntityAction>'
    '</GlobalAction>',
    f'<GlobalAction><EntityAction entityRef="Target"><AddEntityAction>{POSITION}'
    '</AddEntityAction></EntityAction></GlobalAction>',
    '<GlobalAction><ParameterAction parameterRef="P"><ModifyAction><Rule>'
    '<AddValue value="1"/></Rule></ModifyAction></ParameterAction></GlobalAction>',
    '<GlobalAction><VariableAction variableRef="V"><SetAction value="3"/></VariableAction>'
    '</GlobalAction>',
    '<GlobalAction><InfrastructureAction><TrafficSignalAction>'
    '<TrafficSignalStateAction name="1" state="off;off;on"/></TrafficSignalAction>'
    '</InfrastructureAction></GlobalAction>',
    '<PrivateAction><VisibilityAction graphics="true" traffic="false" sensors="true"/>'
    '</PrivateAction>',
    '<PrivateAction><SynchronizeAction masterEntityRef="Target">'
    '<TargetPositionMaster><RoadPosition roadId="1" s="100" t="0"/></TargetPositionMaster>'
    '<TargetPosition><RelativeWorldPosition entityRef="Target" dx="1" dy="0"/></TargetPosition>'
    '<FinalSpeed><AbsoluteSpeed value="10"/></FinalSpeed></SynchronizeAction></PrivateAction>',
    f'<PrivateAction><RoutingAction><AcquirePositionAction>{POSITION}</AcquirePositionAction>'
    '</RoutingAction></PrivateAction>',
    '<PrivateAction><RoutingAction><AssignRouteAction><CatalogReference '
    'catalogName="RoutesAtFabriksgatan" entryName="HostStraightRoute"/></AssignRouteAction>'
    '</RoutingAction></PrivateAction>',
    '<PrivateAction><ControllerAction><AssignControllerAction><CatalogReference '
    'catalogName="ControllerCatalog" entryName="interactiveDriver"/></AssignControllerAction>'
    '</ControllerAction></PrivateAction>',
    '<PrivateAction><ActivateControllerAction lateral="true" longitudinal="true"/>'
    '</PrivateAction>',
    '<PrivateAction><LateralAction><LaneOffsetAction continuous="false">'
    '<LaneOffsetActionDynamics dynamicsShape="cubic" maxLateralAcc="1"/><LaneOffsetTarget>'
    '<AbsoluteTargetLaneOffset value="0.5"/></LaneOffsetTarget></LaneOffsetAction>'
    '</LateralAction></PrivateAction>',
    '<PrivateAction><RoutingAction><FollowTrajectoryAction><TrajectoryRef>'
    '<Trajectory name="n" closed="false"><Shape><Nurbs order="2">'
    f'<ControlPoint>{POSITION}</ControlPoint><ControlPoint time="1">{POSITION}</ControlPoint>'
    '<Knot value="0"/><Knot value="0"/><Knot value="1"/><Knot value="1"/></Nurbs></Shape>'
    '</Trajectory></TrajectoryRef><TimeReference><Timing domainAbsoluteRelative="relative" '
    'scale="1" offset="0"/></TimeReference><TrajectoryFollowingMode followingMode="follow"/>'
    '</FollowTrajectoryAction></RoutingAction></PrivateAction>',
    '<PrivateAction><TeleportAction><Position><RoutePosition><RouteRef><CatalogReference '
    'catalogName="RoutesAtFabriksgatan" entryName="HostStraightRoute"/></RouteRef>'
    '<InRoutePosition><FromLaneCoordinates pathS="10" laneId="-1"/></InRoutePosition>'
    '</RoutePosition></Position></TeleportAction></PrivateAction>',
    '<PrivateAction><RoutingAction><FollowTrajectoryAction><TrajectoryRef>'
    '<Trajectory name="cs" closed="false"><Shape><ClothoidSpline>'
    '<ClothoidSplineSegment curvatureStart="0" curvatureEnd="0.01" length="20">'
    '<PositionStart><WorldPosition x="1" y="2"/></PositionStart></ClothoidSplineSegment>'
    '<ClothoidSplineSegment curvatureStart="0.01" curvatureEnd="0" length="20"/>'
    '</ClothoidSpline></Shape></Trajectory></TrajectoryRef><TimeReference><None/>'
    '</TimeReference><TrajectoryFollowingMode followingMode="position"/>'
    '</FollowTrajectoryAction></RoutingAction></PrivateAction>',
    '<PrivateAction><TrailerAction><ConnectTrailerAction trailerRef="Target"/>'
    '</TrailerAction></PrivateAction>',
    '<GlobalAction><EnvironmentAction><Environment name="fog"><Weather>'
    '<Fog visualRange="50"><BoundingBox><Center x="0" y="0" z="0"/>'
    '<Dimensions width="100" length="100" height="10"/></BoundingBox></Fog>'
    '<DomeImage><DomeFile filepath="sky.png"/></DomeImage></Weather></Environment>'
    '</EnvironmentAction></GlobalAction>',
]


def scenario_text() -> str:
    conditions_xml = "".join(COND.format(name=f"c{i}", body=body)
                             for i, body in enumerate(CONDITIONS))
    actions_xml = "".join(f'<Action name="a{i}">{body}</Action>'
                          for i, body in enumerate(ACTIONS))
    return f"""<OpenSCENARIO>
<FileHeader revMajor="1" revMinor="2" date="2024-01-01T00:00:00" description="d" author="a"/>
<ParameterDeclarations><ParameterDeclaration name="P" parameterType="integer" value="1"/>
</ParameterDeclarations>
<VariableDeclarations><VariableDeclaration name="V" variableType="integer" value="0"/>
</VariableDeclarations>
<CatalogLocations>
<VehicleCatalog><Directory path="Catalogs/Vehicles"/></VehicleCatalog>
<EnvironmentCatalog><Directory path="Catalogs/Environments"/></EnvironmentCatalog>
<RouteCatalog><Directory path="Catalogs/Routes"/></RouteCatalog>
<ControllerCatalog><Directory path="Catalogs/Controllers"/></ControllerCatalog>
</CatalogLocations>
<RoadNetwork><LogicFile filepath="../xodr/fabriksgatan.xodr"/></RoadNetwork>
<Entities>
<ScenarioObject name="Ego"><CatalogReference catalogName="VehicleCatalog" entryName="car_white"/>
</ScenarioObject>
<ScenarioObject name="Target"><CatalogReference catalogName="VehicleCatalog" entryName="car_red">
<ParameterAssignments><ParameterAssignment parameterRef="MaxSpeed" value="${{10 * 2}}"/>
</ParameterAssignments></CatalogReference></ScenarioObject>
</Entities>
<Storyboard><Init><Actions/></Init>
<Story name="s"><Act name="act"><ManeuverGroup name="g" maximumExecutionCount="1">
<Actors selectTriggeringEntities="false"><EntityRef entityRef="Ego"/></Actors>
<Maneuver name="m"><Event name="e" priority="parallel">{actions_xml}
<StartTrigger><ConditionGroup>{conditions_xml}</ConditionGroup></StartTrigger></Event>
</Maneuver></ManeuverGroup></Act></Story></Storyboard>
</OpenSCENARIO>"""


def test_every_kind_reads_and_round_trips() -> None:
    need_interop()
    scenario = parse_xosc_text(scenario_text(), INTEROP, "coverage.xosc")
    event = scenario.document.storyboard.stories[0].acts[0].maneuver_groups[0].maneuvers[0]
    kinds = [type(a.kind) for a in event.events[0].actions]
    assert kinds == [
        global_actions.EnvironmentAction, global_actions.EnvironmentAction,
        global_actions.EntityAction, global_actions.EntityAction,
        global_actions.ParameterAction, global_actions.VariableAction,
        global_actions.TrafficSignalStateAction, actions.VisibilityAction,
        actions.SynchronizeAction,
        actions.AcquirePositionAction, actions.AssignRouteAction,
        actions.AssignControllerAction, actions.ActivateControllerAction,
        actions.LaneOffsetAction, actions.FollowTrajectoryAction, actions.TeleportAction,
        actions.FollowTrajectoryAction, actions.ConnectTrailerAction,
        global_actions.EnvironmentAction,
    ]
    spline = event.events[0].actions[16].kind
    assert isinstance(spline, actions.FollowTrajectoryAction)
    trajectory = sc.resolved(spline.trajectory)
    assert isinstance(trajectory, routes.Trajectory)
    assert isinstance(trajectory.shape, routes.ClothoidSpline)
    assert len(trajectory.shape.segments) == 2
    assert any("DomeImage is visual only" in w for w in scenario.warnings)
    environment = event.events[0].actions[1].kind
    assert isinstance(environment, global_actions.EnvironmentAction)
    assert isinstance(sc.resolved(environment.environment), global_actions.Environment)
    route_action = event.events[0].actions[10].kind
    assert isinstance(route_action, actions.AssignRouteAction)
    assert isinstance(sc.resolved(route_action.route), routes.Route)
    teleport = event.events[0].actions[15].kind
    assert isinstance(teleport, actions.TeleportAction)
    assert isinstance(teleport.position, positions.RoutePosition)
    target = scenario.document.entities.scenario_objects[1].entity
    vehicle = sc.resolved(target)
    assert isinstance(vehicle, entities.Vehicle) and vehicle.performance.max_speed == 20.0
    trigger = event.events[0].start_trigger
    assert trigger is not None
    found = [c.kind.condition if isinstance(c.kind, conditions.ByEntityCondition) else c.kind
             for c in trigger.condition_groups[0].conditions]
    assert len(found) == len(CONDITIONS)
    assert isinstance(found[-4], conditions.ParameterCondition)
    for again in (parse_xosc_text(sc.to_xosc(scenario), INTEROP, "again.xosc"),
                  parse_yaml_text(sc.to_yaml(scenario), INTEROP, "again.yaml")):
        assert again.document == scenario.document


def test_catalog_assignment_to_undeclared_parameter() -> None:
    need_interop()
    text = scenario_text().replace('parameterRef="MaxSpeed"', 'parameterRef="MaxSped"')
    with pytest.raises(ScenarioError) as caught:
        parse_xosc_text(text, INTEROP, "coverage.xosc")
    assert caught.value.suggestion == "MaxSpeed"


def test_wrong_catalog_entry_kind_is_an_error() -> None:
    need_interop()
    text = scenario_text().replace('entryName="car_white"', 'entryName="winter"')
    with pytest.raises(ScenarioError, match="not usable here"):
        parse_xosc_text(text, INTEROP, "coverage.xosc")

"""Builders of small OpenDRIVE documents and the location of the interop samples."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ESMINI_XODR = REPO.parent / "shared" / "interop" / "esmini" / "xodr"

LANES_3_5 = """
  <lanes>
    <laneSection s="0">
      <left><lane id="1" type="driving" level="false">
        <width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></left>
      <center><lane id="0" type="none" level="false"/></center>
      <right>
        <lane id="-1" type="driving" level="false">
          <width sOffset="0" a="3.5" b="0" c="0" d="0"/>
          <roadMark sOffset="0" type="solid" weight="standard" color="white" width="0.12"/>
          <material sOffset="0" surface="asphalt" friction="0.8" roughness="0.01"/>
          <speed sOffset="0" max="50" unit="km/h"/>
        </lane>
        <lane id="-2" type="shoulder" level="false">
          <width sOffset="0" a="1.0" b="0" c="0" d="0"/></lane>
      </right>
    </laneSection>
  </lanes>"""


def geometry_xml(s: float, x: float, y: float, hdg: float, length: float, shape: str) -> str:
    """One ``<geometry>`` element with full-precision numbers."""
    return (
        f'<geometry s="{s!r}" x="{x!r}" y="{y!r}" hdg="{hdg!r}" length="{length!r}">'
        f"{shape}</geometry>"
    )


def road_xml(
    road_id: str, length: float, geometries: list[str], link: str = "", lanes: str = LANES_3_5
) -> str:
    """One ``<road>`` with the given plan view and (by default) a 1 + 2 lane cross section."""
    return (
        f'<road name="r{road_id}" length="{length!r}" id="{road_id}" junction="-1">'
        f"<link>{link}</link>"
        '<type s="0" type="rural"><speed max="80" unit="km/h"/></type>'
        f"<planView>{''.join(geometries)}</planView>{lanes}</road>"
    )


def document(*roads: str, extra: str = "") -> str:
    """A whole OpenDRIVE 1.6 document around ``roads``."""
    return (
        '<?xml version="1.0" standalone="yes"?>\n<OpenDRIVE>\n'
        '<header revMajor="1" revMinor="6" name="test" version="1"/>\n'
        + "\n".join(roads)
        + extra
        + "\n</OpenDRIVE>\n"
    )

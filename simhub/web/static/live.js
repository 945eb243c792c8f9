// The live view: telemetry frames over a WebSocket draw the canvas and fill the readouts; with
// "drive" ticked, the sliders / arrow keys go back as controls 25 times a second.
import { makeView, drawRoad, drawBoxes, hud } from "/static/draw.js";

const root = document.getElementById("live");
const canvas = document.getElementById("live-canvas");
const ctx = canvas.getContext("2d");
const $ = (id) => document.getElementById(id);
const LANE_WIDTH_M = 3.5, LANES = 3;
let socket = null, lastFrame = null, misses = 0;

function road(x) {
  // the session road: straight along +x, lane k centred at y = k * 3.5 m
  const x0 = x - 200, x1 = x + 200, lo = -LANE_WIDTH_M / 2, hi = (LANES - 0.5) * LANE_WIDTH_M;
  const marks = [];
  for (let k = 0; k <= LANES; k++) {
    const y = lo + k * LANE_WIDTH_M;
    marks.push({ style: k === 0 || k === LANES ? "solid" : "broken", points: [[x0, y], [x1, y]] });
  }
  return { lanes: [{ type: "driving", points: [[x0, lo], [x1, lo], [x1, hi], [x0, hi]] }], marks };
}

function draw(frame) {
  const ego = frame.entities[0];
  const view = makeView(canvas, ego ? ego.x + 30 : 0, LANE_WIDTH_M, 160);
  drawRoad(ctx, view, road(ego ? ego.x : 0));
  drawBoxes(ctx, view, frame.entities.map((e, i) => ({ ...e, highlight: i === 0 })));
  hud(ctx, [`t = ${frame.sim_time_s.toFixed(1)} s`, `${ego ? ego.name : ""}: ${((frame.ego?.speed_m_s ?? 0) * 3.6).toFixed(0)} km/h`]);
}

function show(frame) {
  lastFrame = frame;
  draw(frame);
  canvas.dataset.sequence = String(frame.sequence);
  canvas.dataset.time = String(frame.sim_time_s);
  // a frame's state says "created" when the loop's process does not bridge it: the page then
  // keeps the state it was rendered with and the state_changed events
  if (frame.state !== "created") $("session-state").textContent = frame.state;
  $("sim-time").textContent = frame.sim_time_s.toFixed(1);
  $("frame-seq").textContent = frame.sequence;
  if (frame.ego) {
    $("speed").textContent = (frame.ego.speed_m_s * 3.6).toFixed(0);
    $("accel-long").textContent = frame.ego.accel_long_m_s2.toFixed(2);
    $("accel-lat").textContent = frame.ego.accel_lat_m_s2.toFixed(2);
    $("steering").textContent = (frame.ego.steering_rad * 180 / Math.PI).toFixed(1);
  }
  const status = frame.ego_status[0] ?? "-";
  $("controls-status").textContent = status;
  $("controls-state").className = `pill ${status === "ok" ? "ok" : status === "lost" ? "bad" : "warn"}`;
  const newMisses = frame.deadline_misses > misses;
  misses = frame.deadline_misses;
  $("deadline-count").textContent = misses;
  $("deadline").className = `pill ${newMisses ? "bad" : misses ? "warn" : "ok"}`;
  $("controls-accepted").textContent = frame.controls.accepted ?? 0;
  $("controls-rejected").textContent = Object.entries(frame.controls).filter(([k]) => k !== "accepted").reduce((a, [, n]) => a + n, 0);
  const axes = ["surge", "sway", "heave", "roll", "pitch", "yaw"];
  frame.motion.pose.forEach((v, i) => {
    const value = i < 3 ? v : v * 180 / Math.PI;
    $(`pose-${axes[i]}`).textContent = value.toFixed(i < 3 ? 3 : 1);
    $(`pose-${axes[i]}-bar`).value = Math.max(-1, Math.min(1, i < 3 ? v / 0.5 : v / 0.35));
  });
  $("neutral").textContent = frame.motion.neutral ? "Platform at / returning to neutral." : (frame.motion.clipped ? "Platform at a limit." : "");
}

function event(message) {
  const li = document.createElement("li");
  li.textContent = `t = ${(message.sim_time_s ?? 0).toFixed(2)} s · ${message.kind}${message.ego ? ` (${message.ego})` : ""}${message.state ? ` → ${message.state}` : ""}${message.detail ? `: ${message.detail}` : ""}`;
  li.className = message.kind;
  $("events").prepend(li);
  if (message.kind === "state_changed" && message.state) $("session-state").textContent = message.state;
  if (message.kind === "controls_lost") { $("controls-status").textContent = "lost"; $("controls-state").className = "pill bad"; }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/api/v1/sessions/${root.dataset.session}/telemetry?rate_hz=10`);
  socket.onopen = () => { $("connection").textContent = "live"; $("connection").className = "pill ok"; };
  socket.onmessage = (m) => {
    const message = JSON.parse(m.data);
    if (message.type === "frame") show(message);
    else if (message.type === "event") event(message);
    else if (message.type === "closed") { $("connection").textContent = "session ended"; $("connection").className = "pill"; }
    else if (message.type === "error") { $("connection").textContent = message.detail; $("connection").className = "pill bad"; }
  };
  socket.onclose = (e) => {
    if ($("connection").textContent === "live") { $("connection").textContent = e.code === 1000 ? "closed" : `closed (${e.code})`; $("connection").className = "pill"; }
  };
}

const keys = new Set();
document.addEventListener("keydown", (e) => { if ($("driving").checked && e.key.startsWith("Arrow")) { keys.add(e.key); e.preventDefault(); } });
document.addEventListener("keyup", (e) => keys.delete(e.key));
setInterval(() => {
  if (!$("driving").checked || !socket || socket.readyState !== WebSocket.OPEN) return;
  if (keys.size) {
    $("throttle").value = keys.has("ArrowUp") ? 0.6 : 0;
    $("brake").value = keys.has("ArrowDown") ? 0.8 : 0;
    $("wheel").value = keys.has("ArrowLeft") ? 1.5 : keys.has("ArrowRight") ? -1.5 : 0;
  }
  socket.send(JSON.stringify({ type: "controls", throttle: Number($("throttle").value), brake: Number($("brake").value), steering_wheel_rad: Number($("wheel").value) }));
}, 40);
if (root.dataset.canDrive !== "true") $("drive").hidden = true;

connect();

// The scenario page's replay: fetch the engine's decimated output, animate it on a canvas.
import { makeView, drawRoad, drawBoxes, hud } from "/static/draw.js";

const canvas = document.getElementById("replay");
const ctx = canvas.getContext("2d");
const run = document.getElementById("run-replay");
const pause = document.getElementById("pause-replay");
const slider = document.getElementById("replay-time");
const clock = document.getElementById("replay-clock");
const status = document.getElementById("replay-status");
let data = null, index = 0, timer = null;

function draw() {
  const f = data.frames[index];
  const ego = f.x.findIndex((x) => x != null);
  const view = makeView(canvas, f.x[ego] ?? 0, f.y[ego] ?? 0, 120);
  drawRoad(ctx, view, data.road);
  const boxes = data.entities.map((e, i) => ({ x: f.x[i], y: f.y[i], heading: f.h[i], length: e.length, width: e.width, kind: e.kind, name: e.name, highlight: i === ego }));
  drawBoxes(ctx, view, boxes);
  hud(ctx, [`t = ${f.t.toFixed(1)} s`, `${data.entities[ego]?.name ?? ""}: ${((f.v[ego] ?? 0) * 3.6).toFixed(0)} km/h`]);
  slider.value = index;
  clock.textContent = `t = ${f.t.toFixed(1)} s`;
  canvas.dataset.frame = String(index);
  canvas.dataset.time = f.t.toFixed(2);
}

function play() {
  clearInterval(timer);
  pause.disabled = false;
  pause.textContent = "Pause";
  timer = setInterval(() => {
    if (index >= data.frames.length - 1) { clearInterval(timer); timer = null; pause.textContent = "Replay"; status.textContent = "Finished"; return; }
    index += 1;
    draw();
  }, data.dt_s * 1000);
}

run.addEventListener("click", async () => {
  run.disabled = true;
  status.textContent = "Running the engine…";
  try {
    const reply = await fetch(run.dataset.url, { headers: { accept: "application/json" } });
    const body = await reply.json();
    if (!reply.ok) throw new Error(body.detail || reply.statusText);
    data = body;
    index = 0;
    slider.max = String(data.frames.length - 1);
    slider.disabled = false;
    status.textContent = `${data.frames.length} frames`;
    draw();
    play();
  } catch (error) {
    status.textContent = `Replay failed: ${error.message}`;
  } finally {
    run.disabled = false;
  }
});

pause.addEventListener("click", () => {
  if (!data) return;
  if (timer) { clearInterval(timer); timer = null; pause.textContent = "Play"; }
  else { if (index >= data.frames.length - 1) index = 0; status.textContent = ""; play(); }
});

slider.addEventListener("input", () => { if (!data) return; index = Number(slider.value); draw(); });

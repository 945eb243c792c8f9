// Bird's-eye drawing on a canvas, shared by the scenario replay and the live view.
// World frame: x east, y north (m), heading counter-clockwise from +x (rad).

const LANE_COLOURS = { driving: "#5f6368", shoulder: "#8d9196", sidewalk: "#b9b4a8", border: "#8d9196" };
const KIND_COLOURS = { vehicle: "#1e88e5", pedestrian: "#f4511e", misc: "#8e24aa", traffic: "#1e88e5" };

export function makeView(canvas, centreX, centreY, metresAcross) {
  const scale = canvas.width / metresAcross;
  return {
    scale,
    toPx: (x, y) => [canvas.width / 2 + (x - centreX) * scale, canvas.height / 2 - (y - centreY) * scale],
  };
}

export function drawRoad(ctx, view, road) {
  ctx.fillStyle = "#7cb36b";
  ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  if (!road) return;
  for (const lane of road.lanes || []) {
    if (lane.points.length < 3) continue;
    ctx.fillStyle = LANE_COLOURS[lane.type] || "#6b6f74";
    ctx.beginPath();
    lane.points.forEach(([x, y], i) => { const [px, py] = view.toPx(x, y); i ? ctx.lineTo(px, py) : ctx.moveTo(px, py); });
    ctx.closePath();
    ctx.fill();
  }
  ctx.strokeStyle = "#f5f5f5";
  ctx.lineWidth = Math.max(1, 0.15 * view.scale);
  for (const mark of road.marks || []) {
    ctx.setLineDash(mark.style === "broken" ? [3 * view.scale, 6 * view.scale] : []);
    ctx.beginPath();
    mark.points.forEach(([x, y], i) => { const [px, py] = view.toPx(x, y); i ? ctx.lineTo(px, py) : ctx.moveTo(px, py); });
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

// boxes: [{x, y, heading, length, width, kind, name, highlight}]
export function drawBoxes(ctx, view, boxes) {
  ctx.font = "12px system-ui, sans-serif";
  for (const b of boxes) {
    if (b.x == null) continue;
    const [px, py] = view.toPx(b.x, b.y);
    ctx.save();
    ctx.translate(px, py);
    ctx.rotate(-b.heading);
    const l = b.length * view.scale, w = b.width * view.scale;
    ctx.fillStyle = b.highlight ? "#fdd835" : (KIND_COLOURS[b.kind] || "#1e88e5");
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1;
    ctx.fillRect(-l / 2, -w / 2, l, w);
    ctx.strokeRect(-l / 2, -w / 2, l, w);
    ctx.fillStyle = "#111";
    ctx.fillRect(l / 2 - Math.max(2, l * 0.12), -w / 2, Math.max(2, l * 0.12), w); // the front
    ctx.restore();
    ctx.fillStyle = "#fff";
    ctx.strokeStyle = "rgba(0,0,0,.6)";
    ctx.lineWidth = 3;
    ctx.strokeText(b.name, px + 6, py - 8);
    ctx.fillText(b.name, px + 6, py - 8);
  }
}

export function hud(ctx, lines) {
  ctx.fillStyle = "rgba(0,0,0,.55)";
  ctx.fillRect(8, 8, 230, 18 * lines.length + 8);
  ctx.fillStyle = "#fff";
  ctx.font = "14px system-ui, sans-serif";
  lines.forEach((text, i) => ctx.fillText(text, 16, 26 + 18 * i));
}

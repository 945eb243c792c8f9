// One evaluation run: poll its progress until it finishes, then load, sort and filter results.
const $ = (id) => document.getElementById(id);
const runId = $("run").dataset.run;
let rows = [], sortKey = "index", ascending = true;

function value(row, key) {
  if (key === "parameters") return row.parameters.map(([k, v]) => `${k}=${v}`).join(" ");
  if (key in row) return row[key];
  return row.metrics?.[key] ?? null;
}

function fmt(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : (Number.isFinite(v) ? v.toFixed(2) : String(v));
  if (typeof v === "boolean") return v ? "yes" : "no";
  return String(v);
}

function render() {
  const scenario = $("f-scenario").value, outcome = $("f-outcome").value, text = $("f-text").value.toLowerCase();
  const shown = rows.filter((r) => (!scenario || r.scenario === scenario)
    && (!outcome || (outcome === "passed") === r.passed)
    && (!text || `${r.episode_id} ${r.failure} ${r.error}`.toLowerCase().includes(text)));
  shown.sort((a, b) => {
    const x = value(a, sortKey), y = value(b, sortKey);
    const order = x === y ? 0 : (x === null ? 1 : y === null ? -1 : x < y ? -1 : 1);
    return ascending ? order : -order;
  });
  const body = $("results").tBodies[0];
  body.replaceChildren(...shown.map((r) => {
    const tr = document.createElement("tr");
    tr.className = r.passed ? "passed" : "failed";
    for (const key of ["index", "scenario", "parameters", "seed", "passed", "score", "min_ttc_s", "max_deceleration_m_s2", "failure"]) {
      const td = document.createElement("td");
      td.textContent = fmt(key === "failure" ? (r.failure || r.error) : value(r, key));
      td.dataset.key = key;
      tr.append(td);
    }
    return tr;
  }));
  $("results-count").textContent = `${shown.length} of ${rows.length} episodes`;
  document.querySelectorAll("#results th").forEach((th) => {
    const key = th.querySelector("button").dataset.key;
    th.setAttribute("aria-sort", key === sortKey ? (ascending ? "ascending" : "descending") : "none");
  });
}

async function loadResults() {
  const reply = await fetch(`/api/v1/evaluations/${runId}/results?limit=10000`);
  if (!reply.ok) return;
  rows = await reply.json();
  const scenarios = [...new Set(rows.map((r) => r.scenario))].sort();
  $("f-scenario").replaceChildren(new Option("all", ""), ...scenarios.map((s) => new Option(s, s)));
  render();
}

async function poll() {
  const reply = await fetch(`/api/v1/evaluations/${runId}`);
  if (!reply.ok) return setTimeout(poll, 2000);
  const run = await reply.json();
  $("progress").max = run.episodes_total || 1;
  $("progress").value = run.episodes_done;
  $("run-state").textContent = run.state;
  $("episodes-done").textContent = run.episodes_done;
  $("episodes-failed").textContent = run.episodes_failed;
  $("chunks-done").textContent = run.chunks_done;
  $("run").dataset.state = run.state;
  if (run.error) { $("run-error").textContent = run.error; $("run-error").hidden = false; }
  const finished = ["succeeded", "failed", "cancelled"].includes(run.state);
  if (finished) { $("report-link").hidden = false; await loadResults(); }
  else { if (run.episodes_done !== rows.length) await loadResults(); setTimeout(poll, 500); }
}

document.querySelectorAll("button.sort").forEach((button) => button.addEventListener("click", () => {
  const key = button.dataset.key;
  ascending = key === sortKey ? !ascending : true;
  sortKey = key;
  render();
}));
["f-scenario", "f-outcome", "f-text"].forEach((id) => $(id).addEventListener("input", render));
poll();

// digit-pipeline GUI: draw on the canvas or upload an image; the server reads the digits.
"use strict";

const PEN_WIDTH = 20;        // canvas pixels on a 280x280 pad: a pen-like MNIST stroke
const DEBOUNCE_MS = 150;     // predict this long after the last stroke movement

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const ctx = pad.getContext("2d");
const strokes = [];          // each stroke: [[x, y], ...] in canvas pixels
let currentStroke = null;
let timer = null;
let latestRequest = 0;       // answers to older requests are ignored

// --- messages ---------------------------------------------------------------
function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}
function clearError() { $("error").hidden = true; }

// --- the model --------------------------------------------------------------
fetch("/api/model")
  .then((r) => r.json())
  .then((model) => {
    const accuracy = model.test_accuracy == null ? "unknown" : (100 * model.test_accuracy).toFixed(2) + "%";
    const version = model.version == null ? model.model_uri : `version ${model.version}`;
    const alias = model.alias ? ` (@${model.alias})` : "";
    const own = model.own_accuracy == null ? ""
      : `, your digits ${(100 * model.own_accuracy).toFixed(1)}% (${model.own_count} held out)`;
    $("model-info").textContent = `Model: ${model.name ?? "?"} ${version}${alias}, test accuracy ${accuracy}${own}`;
    $("limit").textContent = `${(model.max_upload_bytes / 1048576).toFixed(0)} MB`;
  })
  .catch(() => showError("Server unreachable: is `digit-pipeline app` running?"));

// --- drawing ----------------------------------------------------------------
function point(event) {
  const rect = pad.getBoundingClientRect();
  return [(event.clientX - rect.left) * pad.width / rect.width, (event.clientY - rect.top) * pad.height / rect.height];
}

function redraw() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
  ctx.strokeStyle = ctx.fillStyle = "#111";
  ctx.lineWidth = PEN_WIDTH;
  ctx.lineCap = ctx.lineJoin = "round";
  for (const stroke of strokes) {
    ctx.beginPath();
    ctx.moveTo(...stroke[0]);
    if (stroke.length === 1) ctx.lineTo(stroke[0][0] + 0.1, stroke[0][1]);  // a dot
    for (const p of stroke.slice(1)) ctx.lineTo(...p);
    ctx.stroke();
  }
}

pad.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  currentStroke = [point(event)];
  strokes.push(currentStroke);
  redraw();
  schedulePrediction();
});
pad.addEventListener("pointermove", (event) => {
  if (!currentStroke) return;
  currentStroke.push(point(event));
  redraw();
  schedulePrediction();
});
for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => {
    if (!currentStroke) return;
    currentStroke = null;
    predictDrawing();
  });
}
$("undo").addEventListener("click", () => { strokes.pop(); redraw(); predictDrawing(); });
$("clear").addEventListener("click", () => { strokes.length = 0; redraw(); predictDrawing(); });

function schedulePrediction() {
  clearTimeout(timer);
  timer = setTimeout(predictDrawing, DEBOUNCE_MS);
}

function predictDrawing() {
  clearTimeout(timer);
  if (strokes.length === 0) { showReading(null); offerToKeepDrawing(null); return; }
  send(canvasPng(), "drawing.png").then((reading) => {
    if (!reading) return;
    showReading(reading);
    offerToKeepDrawing(reading);
  });
}

// The drawing as a PNG file. toDataURL is synchronous: toBlob can lag a second behind.
function canvasPng() { return dataUrlBlob(pad.toDataURL("image/png")); }

// A data URL (the server's 28x28 images, a canvas) as a file to send.
function dataUrlBlob(url) {
  const [head, data] = url.split(",");
  const bytes = atob(data);
  return new Blob([Uint8Array.from(bytes, (c) => c.charCodeAt(0))], { type: head.slice(5).split(";")[0] });
}

// --- the server -------------------------------------------------------------
async function send(blob, name) {
  const request = ++latestRequest;
  const form = new FormData();
  form.append("file", blob, name);
  let response;
  try {
    response = await fetch("/api/predict", { method: "POST", body: form });
  } catch {
    showError("Server unreachable: is `digit-pipeline app` running?");
    return null;
  }
  if (request !== latestRequest) return null;
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const reasons = { 400: "Not a readable image", 413: "File too large" };
    showError(`${reasons[response.status] ?? `Error ${response.status}`}: ${body.detail ?? response.statusText}`);
    return null;
  }
  clearError();
  return body;
}

// --- the reading ------------------------------------------------------------
const bars = $("bars");
for (let digit = 0; digit < 10; digit++) {
  const item = document.createElement("li");
  item.innerHTML = `<span>${digit}</span><span class="bar"><span style="width:0%"></span></span><span class="value">0%</span>`;
  bars.append(item);
}

function showReading(reading) {
  $("digit").textContent = reading ? reading.digit : "–";
  $("confidence").textContent = reading ? `${(100 * reading.confidence).toFixed(1)}% sure` : "draw or upload a digit";
  if (reading) $("model-input").src = reading.input_image; else $("model-input").removeAttribute("src");
  [...bars.children].forEach((item, digit) => {
    const p = reading ? reading.probabilities[digit] : 0;
    item.querySelector(".bar > span").style.width = `${(100 * p).toFixed(1)}%`;
    item.querySelector(".value").textContent = `${(100 * p).toFixed(1)}%`;
    item.classList.toggle("top", reading != null && digit === reading.digit);
  });
}

// --- photos and scans -------------------------------------------------------
// A digit read with less confidence than this is marked as doubtful ("?").
const DOUBTFUL = 0.8;

async function readPhoto(file) {
  if (!file) return;
  const reading = await send(file, file.name);
  if (!reading) return;
  showReading(reading);
  const photo = $("photo");
  photo.onload = () => { drawBoxes(reading); offerToKeepPhoto(reading); };
  photo.src = URL.createObjectURL(file);
  $("photo-frame").hidden = false;
  $("digits-read").hidden = false;
  $("digits-read").textContent = `Digits read: ${reading.lines.length > 1 ? "\n" : ""}${reading.digits || "none"}`;
  $("copy").hidden = !reading.digits;
  $("copy").onclick = () => navigator.clipboard.writeText(reading.digits);
  offerToKeepDrawing(null);
}

function drawBoxes(reading) {
  const photo = $("photo");
  const frame = $("photo-frame");
  frame.querySelectorAll(".box").forEach((box) => box.remove());
  const scale = photo.clientWidth / photo.naturalWidth;
  for (const line of reading.lines) {
    line.boxes.forEach(([x, y, w, h], index) => {
      const box = document.createElement("div");
      const doubtful = line.confidences[index] < DOUBTFUL;
      box.className = doubtful ? "box doubtful" : "box";
      box.title = `${(100 * line.confidences[index]).toFixed(0)}% sure`;
      box.dataset.confidence = line.confidences[index];
      Object.assign(box.style, { left: `${x * scale}px`, top: `${y * scale}px`, width: `${w * scale}px`, height: `${h * scale}px` });
      box.innerHTML = `<span>${line.digits[index]}</span>`;
      frame.append(box);
    });
  }
  window.onresize = () => drawBoxes(reading);
}

for (const id of ["file", "camera"]) {
  $(id).addEventListener("change", (event) => { readPhoto(event.target.files[0]); event.target.value = ""; });
}
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  readPhoto(event.dataTransfer.files[0]);
});

// --- your own digits ---------------------------------------------------------
// Each reading can be kept, confirmed or corrected, as a sample of the person's hand:
// the 28x28 the model read and the crop of the original. Keeping never blocks reading.

async function keepDigit(label, source, digitImage, crop) {
  const form = new FormData();
  form.append("label", String(label));
  form.append("source", source);
  form.append("digit", dataUrlBlob(digitImage), "digit.png");
  form.append("crop", crop, "crop.png");
  const response = await fetch("/api/own-digits", { method: "POST", body: form }).catch(() => null);
  if (!response || !response.ok) {
    const body = response ? await response.json().catch(() => ({})) : {};
    showError(`Could not keep the digit: ${body.detail ?? "server unreachable"}`);
    return null;
  }
  return response.json();
}

let drawnReading = null;
const fix = $("keep-fix");
for (let digit = 0; digit < 10; digit++) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = digit;
  button.addEventListener("click", () => keepDrawing(digit));
  fix.append(button);
}
$("keep-yes").addEventListener("click", () => keepDrawing(drawnReading.digit));

function offerToKeepDrawing(reading) {
  drawnReading = reading;
  $("keep-drawn").hidden = !reading;
  if (reading) $("keep-yes").textContent = `Yes, it is a ${reading.digit}: keep it`;
}

async function keepDrawing(label) {
  const reading = drawnReading;
  if (!reading) return;
  const kept = await keepDigit(label, "drawn", reading.input_image, canvasPng());
  if (!kept) return;
  strokes.length = 0;
  redraw();
  showReading(null);
  offerToKeepDrawing(null);
  await loadOwnDigits();
  say(`Kept your ${label}: ${kept.counts[label]} of them now. Draw the next one.`);
}

function offerToKeepPhoto(reading) {
  const tiles = $("photo-digits");
  tiles.replaceChildren();
  reading.lines.forEach((line, number) => line.boxes.forEach((box, index) => {
    const tile = document.createElement("li");
    tile.dataset.box = JSON.stringify(box);
    tile.dataset.image = line.images[index];
    const choices = [...Array(10).keys()].map((d) => `<option${d === +line.digits[index] ? " selected" : ""}>${d}</option>`);
    tile.innerHTML = `<img alt="digit ${index + 1} of line ${number + 1}" src="${line.images[index]}">`
      + `<label><input type="checkbox" checked> <select aria-label="the right digit">${choices.join("")}</select></label>`;
    tiles.append(tile);
  }));
  $("keep-photo").hidden = tiles.children.length === 0;
}

function cropOfPhoto([x, y, width, height]) {
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, width);
  canvas.height = Math.max(1, height);
  canvas.getContext("2d").drawImage($("photo"), x, y, width, height, 0, 0, width, height);
  return dataUrlBlob(canvas.toDataURL("image/png"));
}

$("keep-all").addEventListener("click", async () => {
  let count = 0;
  for (const tile of $("photo-digits").children) {
    if (!tile.querySelector("input").checked) continue;
    const label = +tile.querySelector("select").value;
    if (!await keepDigit(label, "photo", tile.dataset.image, cropOfPhoto(JSON.parse(tile.dataset.box)))) return;
    count++;
  }
  $("keep-photo").hidden = true;
  await loadOwnDigits();
  say(`Kept ${count} digit${count === 1 ? "" : "s"} of the photo.`);
});

function say(message) { $("keep-status").textContent = message; }

async function loadOwnDigits() {
  const response = await fetch("/api/own-digits").catch(() => null);
  if (!response || !response.ok) return;
  const own = await response.json();
  const [head, counts] = $("own-counts").rows;
  const digits = [...Array(10).keys()];
  head.innerHTML = digits.map((d) => `<th>${d}</th>`).join("") + "<th>all</th>";
  counts.innerHTML = digits.map((d) => `<td data-digit="${d}">${own.counts[d]}</td>`).join("")
    + `<td data-digit="all">${own.samples.length}</td>`;
  const list = $("own-samples");
  list.replaceChildren();
  for (const sample of own.samples) {
    const item = document.createElement("li");
    item.dataset.id = sample.sample_id;
    item.innerHTML = `<img loading="lazy" alt="a kept ${sample.label}" src="/api/own-digits/${sample.sample_id}/digit">`
      + `<div>${sample.label} · ${sample.source}</div><button type="button">Delete</button>`;
    item.querySelector("button").addEventListener("click", async () => {
      const answer = await fetch(`/api/own-digits/${sample.sample_id}`, { method: "DELETE" }).catch(() => null);
      if (!answer || !answer.ok) { showError("Could not delete the digit"); return; }
      await loadOwnDigits();
      say(`Deleted a ${sample.label}.`);
    });
    list.append(item);
  }
}

redraw();
showReading(null);
loadOwnDigits();

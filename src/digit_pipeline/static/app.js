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
    $("model-info").textContent = `Model: ${model.name ?? "?"} ${version}${alias}, test accuracy ${accuracy}`;
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
  if (strokes.length === 0) { showReading(null); return; }
  send(canvasPng(), "drawing.png").then((reading) => reading && showReading(reading));
}

// The drawing as a PNG file. toDataURL is synchronous: toBlob can lag a second behind.
function canvasPng() {
  const bytes = atob(pad.toDataURL("image/png").split(",")[1]);
  return new Blob([Uint8Array.from(bytes, (c) => c.charCodeAt(0))], { type: "image/png" });
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
  photo.onload = () => drawBoxes(reading);
  photo.src = URL.createObjectURL(file);
  $("photo-frame").hidden = false;
  $("digits-read").hidden = false;
  $("digits-read").textContent = `Digits read: ${reading.lines.length > 1 ? "\n" : ""}${reading.digits || "none"}`;
  $("copy").hidden = !reading.digits;
  $("copy").onclick = () => navigator.clipboard.writeText(reading.digits);
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

redraw();
showReading(null);

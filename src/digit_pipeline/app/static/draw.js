// The drawing pad: the reading updates while the person draws; a reading can be kept.
import { keepDigit, loadOwnDigits } from "./own.js";
import { $, dataUrlBlob, say, send, showReading } from "./page.js";

const PEN_WIDTH = 20;        // canvas pixels on a 280x280 pad: a pen-like MNIST stroke
const DEBOUNCE_MS = 150;     // predict this long after the last stroke movement

const pad = $("pad");
const ctx = pad.getContext("2d");
const strokes = [];          // each stroke: [[x, y], ...] in canvas pixels
let currentStroke = null;
let timer = null;

function point(event) {
  const rect = pad.getBoundingClientRect();
  return [(event.clientX - rect.left) * pad.width / rect.width, (event.clientY - rect.top) * pad.height / rect.height];
}

export function redraw() {
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

// --- keeping the drawn digit ------------------------------------------------
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

// Only a drawing read as one digit is offered as one: several digits are not one.
export function offerToKeepDrawing(reading) {
  if (reading?.read_as !== "digit") reading = null;
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

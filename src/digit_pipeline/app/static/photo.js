// Photos and scans: each digit found gets a box, the lines' digits are shown and copied.
import { offerToKeepDrawing } from "./draw.js";
import { offerToKeepPhoto } from "./own.js";
import { $, send, showReading } from "./page.js";

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
  const text = reading.lines.map((line) => line.text).join("\n");
  $("digits-read").textContent = `Digits read: ${reading.lines.length > 1 ? "\n" : ""}${text || "none"}`;
  $("copy").hidden = !text;
  $("copy").onclick = () => navigator.clipboard.writeText(text);
  $("download-csv").hidden = !text;
  $("download-csv").onclick = () => downloadCsv(reading, file.name);
  offerToKeepDrawing(null);
}

// The numbers read, as a spreadsheet takes them: one row per line, one cell per number.
export function linesCsv(reading) {
  return reading.lines.map((line) => line.numbers.join(",")).join("\r\n") + "\r\n";
}

function downloadCsv(reading, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([linesCsv(reading)], { type: "text/csv" }));
  link.download = `${name.replace(/\.[^.]*$/, "")}.csv`;
  link.click();
  URL.revokeObjectURL(link.href);
}

// On a sheet found in the photo, its outline and each digit's quadrilateral are drawn in
// the photo's pixels (an SVG over it), and the sheet as it was read is shown beside.
function drawSheet(reading) {
  const photo = $("photo");
  const outline = $("outline");
  outline.setAttribute("viewBox", `0 0 ${photo.naturalWidth} ${photo.naturalHeight}`);
  const points = (corners) => corners.map(([x, y]) => `${x},${y}`).join(" ");
  const shapes = reading.page ? [`<polygon class="page-outline" points="${points(reading.page)}"/>`] : [];
  if (reading.page) {
    for (const line of reading.lines) {
      line.quads.forEach((quad, index) => {
        const doubtful = line.confidences[index] < DOUBTFUL ? " doubtful" : "";
        shapes.push(`<polygon class="quad${doubtful}" points="${points(quad)}"/>`);
      });
    }
  }
  outline.innerHTML = shapes.join("");
  $("sheet-figure").hidden = !reading.page_image;
  if (reading.page_image) $("sheet-image").src = reading.page_image;
}

function drawBoxes(reading) {
  const photo = $("photo");
  const frame = $("photo-frame");
  frame.querySelectorAll(".box").forEach((box) => box.remove());
  drawSheet(reading);
  const scale = photo.clientWidth / photo.naturalWidth;
  for (const line of reading.lines) {
    line.boxes.forEach(([x, y, w, h], index) => {
      const box = document.createElement("div");
      const doubtful = line.confidences[index] < DOUBTFUL;
      // On a sheet, the quadrilateral is the outline; the box holds the label.
      box.className = ["box", doubtful ? "doubtful" : "", reading.page ? "on-sheet" : ""].join(" ").trim();
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

// Photos and scans: each digit found gets a box, the lines' digits are shown and copied.
import { offerToKeepDrawing } from "./draw.js";
import { offerToKeepPhoto } from "./own.js";
import { $, send, showReading } from "./page.js";

// A digit read with less confidence than this is marked as doubtful ("?").
const DOUBTFUL = 0.8;
// A corner's handle: this share of the photo's longest side across.
const HANDLE = 0.012;

// `corners`: where the sheet is, as the person dragged its corners (else it is found).
async function readPhoto(file, corners = null) {
  if (!file) return;
  const reading = await send(file, file.name, corners ? { corners: JSON.stringify(corners) } : {});
  if (!reading) return;
  showReading(reading);
  const photo = $("photo");
  photo.onload = () => { drawBoxes(reading); dragCorners(reading, file); offerToKeepPhoto(reading); };
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
    // A handle on each corner of the sheet, to drag where the page found is wrong.
    const radius = HANDLE * Math.max(photo.naturalWidth, photo.naturalHeight);
    reading.page.forEach(([x, y], corner) => {
      shapes.push(`<circle class="corner" data-corner="${corner}" cx="${x}" cy="${y}" r="${radius}"/>`);
    });
  }
  outline.innerHTML = shapes.join("");
  $("corners-hint").hidden = !reading.page;
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

// Dragging a corner of the sheet moves the outline; letting go reads the photo again
// within the corners as they are now.
function dragCorners(reading, file) {
  if (!reading.page) return;
  const outline = $("outline");
  const corners = reading.page.map((point) => [...point]);
  outline.querySelectorAll(".corner").forEach((handle) => {
    handle.onpointerdown = (event) => {
      event.preventDefault();
      handle.setPointerCapture(event.pointerId);
      const corner = Number(handle.dataset.corner);
      handle.onpointermove = (move) => {
        corners[corner] = inPhotoPixels(outline, move);
        handle.setAttribute("cx", corners[corner][0]);
        handle.setAttribute("cy", corners[corner][1]);
        outline.querySelector(".page-outline").setAttribute("points", corners.map((p) => p.join(",")).join(" "));
      };
      handle.onpointerup = () => {
        handle.onpointermove = handle.onpointerup = null;
        readPhoto(file, corners);
      };
    };
  });
}

// Where a pointer is, in the photo's own pixels (the outline's coordinates).
function inPhotoPixels(svg, event) {
  const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
  return [Math.round(point.x * 10) / 10, Math.round(point.y * 10) / 10];
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

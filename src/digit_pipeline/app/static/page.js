// What every part of the page shares: messages, the server's reading, the reading panel.

export const $ = (id) => document.getElementById(id);

export function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}
export function clearError() { $("error").hidden = true; }
export function say(message) { $("keep-status").textContent = message; }

// A data URL (the server's 28x28 images, a canvas) as a file to send.
export function dataUrlBlob(url) {
  const [head, data] = url.split(",");
  const bytes = atob(data);
  return new Blob([Uint8Array.from(bytes, (c) => c.charCodeAt(0))], { type: head.slice(5).split(";")[0] });
}

// --- the server -------------------------------------------------------------
let latestRequest = 0;       // answers to older requests are ignored

// `fields`: more of the form, e.g. the sheet's corners as a person set them.
export async function send(blob, name, fields = {}) {
  const request = ++latestRequest;
  const form = new FormData();
  form.append("file", blob, name);
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
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

// One digit: it, how sure, what the model saw and each digit's probability. Writing (a
// sheet, a row, several digits drawn): its lines, never one digit for the whole.
export function showReading(reading) {
  const lines = reading?.read_as === "lines";
  const text = lines ? reading.lines.map((line) => line.text).join("\n") : "";
  $("digit").textContent = !reading ? "–" : lines ? text || "no digit read" : reading.digit;
  $("digit").classList.toggle("lines", lines);
  const count = lines ? `${reading.lines.length} line${reading.lines.length === 1 ? "" : "s"} read` : "";
  $("confidence").textContent = !reading ? "draw or upload a digit"
    : lines ? count : `${(100 * reading.confidence).toFixed(1)}% sure`;
  $("model-input").closest("figure").hidden = lines;
  bars.hidden = lines;
  if (reading) $("model-input").src = reading.input_image; else $("model-input").removeAttribute("src");
  [...bars.children].forEach((item, digit) => {
    const p = reading ? reading.probabilities[digit] : 0;
    item.querySelector(".bar > span").style.width = `${(100 * p).toFixed(1)}%`;
    item.querySelector(".value").textContent = `${(100 * p).toFixed(1)}%`;
    item.classList.toggle("top", reading != null && digit === reading.digit);
  });
}

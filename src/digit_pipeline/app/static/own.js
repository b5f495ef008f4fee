// Your own digits: each reading can be kept, confirmed or corrected, as a sample of the
// person's hand (the 28x28 the model read and the crop of the original). Keeping never
// blocks reading.
import { $, dataUrlBlob, say, showError } from "./page.js";

export async function keepDigit(label, source, digitImage, crop) {
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

// A photo's digits as tiles: each with the 28x28 read, a digit picker and a tick box.
export function offerToKeepPhoto(reading) {
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

export async function loadOwnDigits() {
  const response = await fetch("/api/own-digits").catch(() => null);
  if (!response || !response.ok) {
    const body = response ? await response.json().catch(() => ({})) : {};
    showError(`Your digits could not be read: ${body.detail ?? "server unreachable"}`);
    return;
  }
  const own = await response.json();
  $("own-folder").textContent = own.folder;
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

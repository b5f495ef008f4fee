// digit-pipeline GUI: draw on the canvas or upload an image; the server reads the digits.
// One module per part of the page: page.js (shared), draw.js, photo.js, own.js.
import { redraw } from "./draw.js";
import { loadOwnDigits } from "./own.js";
import { $, showError, showReading } from "./page.js";
import "./photo.js";

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

redraw();
showReading(null);
loadOwnDigits();

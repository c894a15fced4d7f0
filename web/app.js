// The try-a-model page: lists the ready models (POST /v2/repository/index), sends the chosen image to
// POST /v1/predict and draws the answer: top classes with scores, the predicted point(s) on the image, the server's
// timings. Plain browser JavaScript with no dependencies, so it works offline from the server's own port.
'use strict';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
let current;

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

async function loadModels() {
  const response = await fetch('v2/repository/index', { method: 'POST', body: JSON.stringify({ ready: true }) });
  const index = await response.json();
  const names = [...new Set(index.map((m) => m.name))];
  $('model').replaceChildren(...names.map((name) => new Option(name, name)));
  if (names.length === 0) setStatus('The server has no model ready.', true);
}

function marker(x, y, label, size) {
  const g = document.createElementNS(SVG, 'g');
  g.setAttribute('class', 'marker');
  g.dataset.label = label;
  g.dataset.x = String(x);
  g.dataset.y = String(y);
  // Sizes in image pixels (the overlay's units), proportional to the image so markers look alike at any size.
  const r = size * 0.03;
  for (const cls of ['outer', 'inner']) {
    const c = document.createElementNS(SVG, 'circle');
    c.setAttribute('cx', x);
    c.setAttribute('cy', y);
    c.setAttribute('r', r);
    c.setAttribute('class', cls);
    g.append(c);
  }
  const text = document.createElementNS(SVG, 'text');
  text.setAttribute('x', x + r * 1.4);
  text.setAttribute('y', y - r * 1.1);
  text.setAttribute('font-size', size * 0.05);
  text.textContent = label;
  g.append(text);
  return g;
}

function show(answer) {
  const { width, height } = answer.image;
  const overlay = $('overlay');
  // The overlay's user units are the original image's pixels, so the server's x_px / y_px place markers exactly.
  overlay.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const markers = answer.point
    ? [marker(answer.point.xPx, answer.point.yPx, answer.classes[0].label, Math.max(width, height))]
    : answer.classPoints.map((c) => marker(c.point.xPx, c.point.yPx, c.label, Math.max(width, height)));
  overlay.replaceChildren(...markers);

  $('classes').replaceChildren(
    ...answer.classes.map((c) => {
      const li = document.createElement('li');
      li.dataset.label = c.label;
      li.innerHTML = '<span class="label"></span><span class="score"></span><div class="bar"></div>';
      li.querySelector('.label').textContent = c.label;
      li.querySelector('.score').textContent = c.score.toFixed(4);
      li.querySelector('.bar').style.width = `${Math.max(1, c.score * 100)}%`;
      return li;
    }),
  );
  const t = answer.timings;
  const rows = [
    ['preprocess', t.preprocessMs],
    ['queue', t.queueMs],
    ['inference', t.inferenceMs],
    ['postprocess', t.postprocessMs],
    ['total', t.totalMs],
  ];
  $('timings').tBodies[0].replaceChildren(
    ...rows.map(([name, ms]) => {
      const tr = document.createElement('tr');
      tr.innerHTML = `<td>${name}</td><td>${ms.toFixed(1)} ms</td>`;
      return tr;
    }),
    Object.assign(document.createElement('tr'), { innerHTML: `<td>batch size</td><td>${t.batchSize}</td>` }),
  );
  setStatus(`${answer.model} v${answer.version} · ${width}×${height} ${answer.image.format}`);
  document.body.dataset.state = 'done';
}

async function predict(file) {
  document.body.dataset.state = 'busy';
  if (current) URL.revokeObjectURL(current);
  current = URL.createObjectURL(file);
  $('image').src = current;
  $('stage').hidden = false;
  $('hint').hidden = true;
  $('overlay').replaceChildren();
  setStatus('Predicting…');
  try {
    const model = encodeURIComponent($('model').value);
    const response = await fetch(`v1/predict?model=${model}`, { method: 'POST', body: file });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error);
    show(answer);
  } catch (error) {
    setStatus(error.message, true);
    document.body.dataset.state = 'error';
  }
}

const drop = $('drop');
$('file').addEventListener('change', (e) => e.target.files[0] && predict(e.target.files[0]));
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer.files[0];
  if (file) predict(file);
});
document.addEventListener('paste', (e) => {
  const file = [...e.clipboardData.files].find((f) => f.type.startsWith('image/'));
  if (file) predict(file);
});
$('model').addEventListener('change', () => {
  const file = $('file').files[0];
  if (file) predict(file);
});
loadModels().catch((error) => setStatus(`Cannot list models: ${error.message}`, true));

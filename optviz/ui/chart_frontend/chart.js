// The animated optviz figure as a Streamlit component (the v1 iframe protocol of
// streamlit-component-lib, spoken directly: no build step, no npm, no CDN).
//
// Why a component and not st.plotly_chart: st.plotly_chart hands every new figure to
// Plotly.react, which redraws all panels, even when a slider moved one optimizer's path.
// Here an update that changes only the data of some traces (and perhaps axis ranges) is
// applied in place: the changed traces move with Plotly.animate (redraw: false), in the
// same transition as any axis range that must change (see keepsRange). Anything else
// (another objective, more or fewer traces, a new layout) is drawn anew by Plotly.react.
//
// The step cursor is this file's: the figure carries every cursor point at every step as
// data (layout.meta.optvizCursor, built by optviz.figures), and the control bar above the
// panels (|◀ ◀ Play ▶ ▶|, a scrubber, "go to", full screen) and the keys (← → one step,
// Shift ten, Space play/pause, Home/End) move every panel's cursor to any step. The step
// goes to Python (the component's value), where the step inspector and the link follow it;
// Python moves it here (the inspector, a lesson's button, a link) through `step`/`step_rev`.
// The figure shrinks to fit the window (layout.meta.optvizFit): the panels get smaller,
// the gaps that hold titles and tick labels keep their pixels.
(function () {
  "use strict";

  const gd = document.getElementById("chart");
  const bar = document.getElementById("bar");
  const scrub = document.getElementById("scrub");
  const gotoBox = document.getElementById("goto");
  const label = document.getElementById("label");
  const note = document.getElementById("note");
  const playButton = document.getElementById("play");
  const NOW = { transition: { duration: 0 }, frame: { duration: 0, redraw: false },
                mode: "immediate" };
  // Trace properties that can change in place; a change to any other redraws the figure.
  const MOVABLE = new Set(["x", "y", "z", "text", "customdata"]);
  // The smallest share of its height the figure shrinks its panels to, to fit a window.
  const SMALLEST = 0.3;

  let shown = null;                // what is on screen, as text to diff against
  let pending = Promise.resolve(); // updates are applied one after the other
  let listening = false;
  let height = 0;
  let table = null;       // the step cursor's data (decoded optvizCursor)
  let fit = null;         // optvizFit: the figure's bands of pixels
  let geometry = null;    // the drawn figure's vertical positions before fitting
  let scale = 1;          // the flexible bands' share now drawn
  let plotHeight = 0;     // the figure's height as drawn (fitted)
  let playMs = 60;
  let playFrames = 200;
  let step = 0;           // the cursor's step
  let drawnStep = -1;     // the step the cursor traces show
  let exact = null;       // {step, data}: Python's values at a step the table does not keep
  let cursorQueued = false;
  let timer = null;       // ▶ Play's interval
  let sendTimer = null;
  let sentStep = null;
  let stepRev = null;
  // plotly.js, loaded with the first figure: the smallest of these bundles whose trace
  // types draw it (the same plotly.js version, MIT, each with its licence header). The
  // full bundle is 4.8 MB of script, which took the browser ~1 s to parse and run
  // before it drew anything; the default figure is scatter traces only, and the 3-D
  // view's (scatter3d, surface) is in the gl3d bundle. A figure the bundle in use
  // cannot draw loads the next that can: the figure is drawn anew with it.
  const BUNDLES = [
    { src: "plotly-cartesian.min.js",
      types: ["bar", "box", "contour", "heatmap", "histogram", "histogram2d",
              "histogram2dcontour", "image", "pie", "scatter", "scatterternary", "violin"] },
    { src: "plotly-gl3d.min.js",
      types: ["scatter", "scatter3d", "surface", "mesh3d", "isosurface", "volume", "cone",
              "streamtube"] },
    { src: "plotly.min.js", types: null },  // every trace type
  ];
  let bundle = -1;        // the index of the bundle loaded, -1 before the first figure

  // Counts for tests and curious readers: how each update was drawn.
  window.optvizChart = { full: 0, inPlace: 0, unchanged: 0, lastMs: 0, step: 0,
                         playing: false, cursorMoves: 0, scale: 1, bundle: null };

  function send(type, data) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data),
                              "*");
  }

  function sendValue(value) {
    send("streamlit:setComponentValue", {
      value: Object.assign({ at: Date.now() }, value), dataType: "json",
    });
  }

  // plotly.js rejects an animation's promise, with no reason, when it is interrupted:
  // expected, so not an error.
  window.addEventListener("unhandledrejection", function (event) {
    if (event.reason === undefined) { event.preventDefault(); }
  });

  // --- the cursor table --------------------------------------------------------------

  function decode(spec) {  // plotly's typed-array spec {dtype: "f8", bdata} as numbers
    const text = atob(spec.bdata);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    return new Float64Array(bytes.buffer);
  }

  function readTable(raw) {
    if (!raw) { return null; }
    const rows = decode(raw.rows);
    const y = raw.y.map(decode);
    return {
      steps: raw.steps,
      rows: rows,
      traces: raw.traces,
      y: y,
      x: raw.x.map(function (x) { return x ? decode(x) : null; }),
      // the 3-D view's cursor traces have heights; plotly.animate does not move them
      z: (raw.z || raw.y.map(function () { return null; })).map(function (z) {
        return z ? decode(z) : null;
      }),
      n: y.map(function (col) { return rows.length ? col.length / rows.length : 0; }),
    };
  }

  function rowOf(s) {  // the last kept step at or before s
    const rows = table.rows;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (rows[mid] <= s) { lo = mid; } else { hi = mid - 1; }
    }
    return lo;
  }

  function finite(values) {
    return Array.from(values, function (v) { return Number.isFinite(v) ? v : null; });
  }

  function cursorAt(s) {  // {data, at}: every cursor trace's points at step s (or at `at`)
    if (exact && exact.step === s) { return { data: exact.data, at: s }; }
    const r = rowOf(s);
    const at = table.rows[r];
    const data = table.y.map(function (col, i) {
      const n = table.n[i];
      const xs = table.x[i];
      const zs = table.z[i];
      const point = {
        type: zs ? "scatter3d" : "scatter",
        x: xs ? finite(xs.subarray(r * n, (r + 1) * n)) : new Array(n).fill(at),
        y: finite(col.subarray(r * n, (r + 1) * n)),
      };
      if (zs) { point.z = finite(zs.subarray(r * n, (r + 1) * n)); }
      return point;
    });
    return { data: data, at: at };
  }

  function showLabel(at) {
    const total = table ? table.steps : 0;
    label.textContent = "step " + step + " of " + total;
    note.textContent = at !== step
      ? "This long run keeps every step up to " + Math.min(1000, total) + " in the browser; " +
        "the cursor shows step " + at + " until the exact step arrives from the server."
      : "";
    scrub.max = String(total);
    scrub.value = String(step);
    gotoBox.max = String(total);
    if (document.activeElement !== gotoBox) { gotoBox.value = String(step); }
  }

  async function drawCursor() {
    cursorQueued = false;
    if (!table || !gd.data) { return; }
    const s = step;
    const now = cursorAt(s);
    if (s !== drawnStep || now.at !== s) {
      const flat = [];
      const deep = [];
      now.data.forEach(function (d, i) { (d.z ? deep : flat).push(i); });
      if (flat.length) {
        await Plotly.animate(gd, {
          data: flat.map(function (i) { return now.data[i]; }),
          traces: flat.map(function (i) { return table.traces[i]; }),
        }, NOW);
      }
      if (deep.length) { await moveDeep(deep.map(function (i) { return now.data[i]; }),
                                        deep.map(function (i) { return table.traces[i]; })); }
      window.optvizChart.cursorMoves += 1;
    }
    drawnStep = now.at === s ? s : -1;
    showLabel(now.at);
    window.optvizChart.step = s;
  }

  // 3-D traces (the surface view's cursor) do not move with plotly.animate, and
  // Plotly.restyle redraws every panel (~0.7 s here, drawn without a GPU). So the scene's
  // own objects take the new points and the scene alone is drawn again (plotly's
  // gl3d Scene: its trace objects' update() and glplot.redraw(), as Scene.plot does);
  // where that is not there (another plotly.js), restyle.
  function moveDeep(data, traces) {
    try {
      if (moveInScene(data, traces)) { return Promise.resolve(); }
    } catch (err) { console.warn("optviz: moving the 3-D cursor by restyle", err); }
    const update = { x: [], y: [], z: [] };
    data.forEach(function (d) { update.x.push(d.x); update.y.push(d.y); update.z.push(d.z); });
    window.optvizChart.deepRestyles = (window.optvizChart.deepRestyles || 0) + 1;
    holdCamera(gd.layout);
    return Plotly.restyle(gd, update, traces);
  }

  function moveInScene(data, traces) {
    const full = gd._fullData || [];
    const scenes = new Set();
    const moves = traces.map(function (ti, k) {
      const trace = full.find(function (t) { return t.index === ti; });
      const scene = trace && gd._fullLayout[trace.scene || "scene"];
      const glScene = scene && scene._scene;
      const object = glScene && glScene.traces && glScene.traces[trace.uid];
      return { ti: ti, d: data[k], trace: trace, scene: glScene, object: object };
    });
    if (moves.some(function (m) {
      return !m.object || typeof m.object.update !== "function" || !m.scene.glplot;
    })) { return false; }
    for (const m of moves) {
      for (const axis of ["x", "y", "z"]) {
        m.trace[axis] = m.d[axis];
        gd.data[m.ti][axis] = m.d[axis];  // what a later redraw starts from
      }
      m.trace._length = m.d.x.length;
      m.object.update(m.trace);
      scenes.add(m.scene);
    }
    scenes.forEach(function (scene) { scene.glplot.redraw(); });
    window.optvizChart.deepMoves = (window.optvizChart.deepMoves || 0) + 1;
    return true;
  }

  // The 3-D camera as the student turned it. A drag moves the scene's own camera and
  // plotly's layout does not always hear of it, and every redraw (a restyle, a react)
  // sets the camera from the layout: so it is written into the layout first, and into a
  // new figure for the same objective (the same uirevision).
  function turnedCamera() {
    const scene = gd._fullLayout && gd._fullLayout.scene && gd._fullLayout.scene._scene;
    if (!scene || typeof scene.getCamera !== "function") { return null; }
    try { return scene.getCamera(); } catch (err) { return null; }
  }

  function holdCamera(layout) {
    const camera = turnedCamera();
    if (camera && layout && layout.scene) { layout.scene.camera = camera; }
    return camera;
  }

  function isDeep(trace) { return !!trace && /3d$|^surface$/.test(trace.type || ""); }

  // The one way the cursor moves: to step s (clamped), every panel, coalesced.
  function goTo(s, tell) {
    if (!table) { return; }
    s = Math.max(0, Math.min(table.steps, Math.round(Number(s) || 0)));
    step = s;
    showLabel(table.rows[rowOf(s)]);
    if (!cursorQueued) {
      cursorQueued = true;
      pending = pending.then(drawCursor).catch(function () { cursorQueued = false; });
    }
    if (tell !== false) { tellSoon(); }
  }

  // The step reaches Python a moment after the last move (not every frame of ▶ Play).
  function tellSoon() {
    clearTimeout(sendTimer);
    if (timer) { return; }
    sendTimer = setTimeout(function () {
      if (step !== sentStep) {
        sentStep = step;
        sendValue({ kind: "step", step: step });
      }
      window.optvizChart.told = sentStep;
    }, 250);
  }

  // --- ▶ Play --------------------------------------------------------------------------

  function setPlaying(on) {
    playButton.querySelector("span").textContent = on ? "Pause" : "Play";
    playButton.setAttribute("aria-label", on ? "Pause" : "Play");
    playButton.querySelector("svg").innerHTML = on
      ? '<rect x="3" y="2" width="3.5" height="12"/><rect x="9.5" y="2" width="3.5" height="12"/>'
      : '<path d="M4 2l10 6-10 6z"/>';
    window.optvizChart.playing = on;
  }

  function stop() {
    if (!timer) { return; }
    clearInterval(timer);
    timer = null;
    setPlaying(false);
    tellSoon();
  }

  function play() {
    if (!table || timer) { return; }
    if (step >= table.steps) { goTo(0, false); }
    // as many frames as plotly's own Play had (about 200), at the chosen speed
    const stride = Math.max(1, Math.round(table.steps / playFrames));
    setPlaying(true);
    timer = setInterval(function () {
      if (cursorQueued) { return; }  // the last frame is still being drawn: no backlog
      const next = Math.min(table.steps, step + stride);
      goTo(next, false);
      if (next >= table.steps) { stop(); }
    }, playMs);
  }

  function togglePlay() { if (timer) { stop(); } else { play(); } }

  function nudge(by) { stop(); goTo(step + by); }

  // --- keys ------------------------------------------------------------------------------

  // Keys belong to the chart unless the student is typing or working another control.
  function ownsKeys(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return false; }
    const t = event.target;
    if (!t || !t.tagName) { return true; }
    if (t === gotoBox) { return false; }
    if (/^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName) || t.isContentEditable) {
      return false;
    }
    return !(t.closest && t.closest(
      '[role="slider"],[role="listbox"],[role="combobox"],[role="spinbutton"],' +
      '[role="option"],[role="menu"],[role="dialog"],[contenteditable="true"]'));
  }

  function onKey(event) {
    if (!window.frameElement && window.parent !== window) {  // this chart is gone
      window.parent.document.removeEventListener("keydown", onKey);
      return;
    }
    if (!table || !ownsKeys(event)) { return; }
    const ten = event.shiftKey ? 10 : 1;
    switch (event.key) {
      case "ArrowRight": nudge(ten); break;
      case "ArrowLeft": nudge(-ten); break;
      case " ": case "Spacebar": togglePlay(); break;
      case "Home": stop(); goTo(0); break;
      case "End": stop(); goTo(table.steps); break;
      case "f": case "F": fullScreen(); break;
      case "3": toggleSurface(); break;
      case "PageDown": case "n": case "N": sendValue({ kind: "lesson", delta: 1 }); break;
      case "PageUp": case "p": case "P": sendValue({ kind: "lesson", delta: -1 }); break;
      default: return;
    }
    event.preventDefault();
  }

  // Key 3: the 3-D view on or off, asked of Python with the step in the same message
  // (a step told separately a moment later would rerun the app with the switch still
  // showing its old value in the page, and undo the change).
  function toggleSurface() {
    clearTimeout(sendTimer);
    const shows = !!(gd.data && gd.data.some(isDeep));
    sentStep = step;
    sendValue({ kind: "surface", on: !shows, step: step });
  }

  function listenToKeys() {
    document.addEventListener("keydown", onKey);
    try {  // the page around the chart too (same origin), one listener whatever reloads
      const outer = window.parent;
      if (outer !== window) {
        if (outer.__optvizKeys) { outer.document.removeEventListener("keydown", outer.__optvizKeys); }
        outer.__optvizKeys = onKey;
        outer.document.addEventListener("keydown", onKey);
      }
    } catch (err) { /* another origin: the chart's own keys only */ }
  }

  function fullScreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () {});
    }
  }

  function wireBar() {
    const click = function (id, act) {
      document.getElementById(id).addEventListener("click", function (event) {
        act();
        event.currentTarget.blur();  // Space goes back to Play/Pause, not to this button
      });
    };
    click("first", function () { stop(); goTo(0); });
    click("back", function () { nudge(-1); });
    click("play", togglePlay);
    click("forward", function () { nudge(1); });
    click("last", function () { stop(); goTo(table ? table.steps : 0); });
    click("full", fullScreen);
    scrub.addEventListener("input", function () { stop(); goTo(scrub.value); });
    gotoBox.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { stop(); goTo(gotoBox.value); gotoBox.blur(); }
      if (event.key === "Escape") { gotoBox.value = String(step); gotoBox.blur(); }
    });
    gotoBox.addEventListener("change", function () { stop(); goTo(gotoBox.value); });
    document.addEventListener("fullscreenchange", function () { refit(); });
    window.addEventListener("resize", function () { refitSoon(); });
    try { window.parent.addEventListener("resize", refitSoon); } catch (err) { /* */ }
  }

  // --- fitting the window ------------------------------------------------------------------

  // Where a pixel (from the top of the unfitted figure) goes when the flexible bands are
  // drawn at share k.
  function mapped(px, k) {
    let at = 0;
    for (const band of fit.bands) {
      const [a, b, flex] = band;
      const f = flex ? k : 1;
      if (px <= b) { return at + (Math.max(px, a) - a) * f; }
      at += (b - a) * f;
    }
    return at + (px - fit.height);
  }

  function pageTop(el) {  // the element's top in the page, as at scroll 0
    let top = el.getBoundingClientRect().top;
    for (let p = el.parentElement; p; p = p.parentElement) { top += p.scrollTop || 0; }
    return top;
  }

  function room() {  // the pixels the plot may take so that its top block is on screen
    const barHeight = bar.offsetHeight + note.offsetHeight;
    if (document.fullscreenElement) { return window.innerHeight - barHeight - 4; }
    try {
      const frame = window.frameElement;
      if (!frame) { return null; }
      return window.parent.innerHeight - pageTop(frame) - barHeight - 10;
    } catch (err) { return null; }
  }

  function shareFor(available) {
    if (!fit || available === null) { return 1; }
    const margin = geometry ? geometry.margin : 20;
    const low = mapped(fit.anchor, 0);
    const high = mapped(fit.anchor, 1);
    // (plotly's top margin comes before the panels' paper coordinates)
    const k = (available - margin - low) / Math.max(high - low, 1);
    return Math.max(SMALLEST, Math.min(1, k));
  }

  function captureGeometry(spec) {
    const axes = {};
    const scenes = {};
    for (const name of Object.keys(spec.layout)) {
      if (/^yaxis\d*$/.test(name) && spec.layout[name].domain) {
        axes[name] = spec.layout[name].domain.slice();
      }
      const d = /^scene\d*$/.test(name) && spec.layout[name].domain;
      if (d && d.y) { scenes[name] = d.y.slice(); }
    }
    const notes = (spec.layout.annotations || []).map(function (a) {
      return a.yref === "paper" ? a.y : null;
    });
    const bars = [];
    spec.data.forEach(function (t, i) {
      const own = !(t.marker && t.marker.colorbar);  // a surface's bar is its own
      const c = own ? t.colorbar : t.marker.colorbar;
      if (c && c.len !== undefined && c.lenmode !== "pixels") {
        bars.push({ i: i, own: own, y: c.y === undefined ? 0.5 : c.y, len: c.len });
      }
    });
    const font = (spec.layout.font && spec.layout.font.size) || 13;
    const margin = ((spec.layout.margin || {}).t || 0) + ((spec.layout.margin || {}).b || 0);
    return { height: spec.layout.height, axes: axes, scenes: scenes, notes: notes, bars: bars,
             font: font, margin: margin };
  }

  // The layout (and colour-bar) changes that draw the figure at share k.
  function fitted(k) {
    const H = geometry.height;
    const newH = mapped(H, k);
    const y = function (frac) { return 1 - mapped((1 - frac) * H, k) / newH; };
    const layout = { height: newH };
    const font = geometry.font;
    for (const name of Object.keys(geometry.axes)) {
      const domain = geometry.axes[name].map(y);
      layout[name + ".domain"] = domain;
      // a shorter panel gets fewer tick labels, so that they never run into each other
      const px = (domain[1] - domain[0]) * newH;
      layout[name + ".nticks"] = k < 1 ? Math.max(2, Math.floor(px / (2.4 * font))) : 0;
    }
    for (const name of Object.keys(geometry.scenes)) {
      layout[name + ".domain.y"] = geometry.scenes[name].map(y);
    }
    geometry.notes.forEach(function (v, i) { if (v !== null) { layout["annotations[" + i + "].y"] = y(v); } });
    const bars = geometry.bars.map(function (b) {
      const top = y(b.y);
      const bottom = y(b.y - b.len);
      return { i: b.i, own: b.own, y: top, len: top - bottom };
    });
    return { layout: layout, bars: bars, height: newH };
  }

  function applyToSpec(spec, k) {  // before a full drawing: no second drawing
    const f = fitted(k);
    spec.layout.height = f.height;
    for (const key of Object.keys(f.layout)) {
      const m = /^(yaxis\d*)\.(domain|nticks)$/.exec(key);
      const n = /^annotations\[(\d+)\]\.y$/.exec(key);
      const d = /^(scene\d*)\.domain\.y$/.exec(key);
      if (m) { spec.layout[m[1]][m[2]] = f.layout[key]; }
      if (n) { spec.layout.annotations[Number(n[1])].y = f.layout[key]; }
      if (d) { spec.layout[d[1]].domain.y = f.layout[key]; }
    }
    f.bars.forEach(function (b) {
      const c = b.own ? spec.data[b.i].colorbar : spec.data[b.i].marker.colorbar;
      c.y = b.y;
      c.len = b.len;
    });
    scale = k;
  }

  let refitTimer = null;
  function refitSoon() { clearTimeout(refitTimer); refitTimer = setTimeout(refit, 120); }

  function refit() {
    if (!geometry || !fit || !gd.data) { return; }
    const k = shareFor(room());
    if (Math.abs(k - scale) < 0.02) { return; }
    pending = pending.then(async function () {
      const f = fitted(k);
      scale = k;
      await Plotly.relayout(gd, f.layout);
      for (const b of f.bars) {
        const at = b.own ? "colorbar." : "marker.colorbar.";
        const update = {};
        update[at + "y"] = b.y;
        update[at + "len"] = b.len;
        await Plotly.restyle(gd, update, [b.i]);
      }
      plotHeight = f.height;
      gd.style.height = Math.ceil(f.height) + "px";
      tellHeight(f.height);
      window.optvizChart.scale = k;
    }).catch(function (err) { console.warn("optviz: could not fit the figure", err); });
  }

  function tellHeight(plotHeight) {
    const h = Math.ceil(plotHeight + bar.offsetHeight + note.offsetHeight);
    if (h !== height) {
      height = h;
      send("streamlit:setFrameHeight", { height: h });
    }
  }

  // --- updates ------------------------------------------------------------------------

  function axisRanges(layout) {
    const out = {};
    for (const name of Object.keys(layout)) {
      if (/^[xy]axis\d*$/.test(name)) { out[name] = JSON.stringify(layout[name].range); }
    }
    return out;
  }

  function layoutWithoutRanges(layout) {
    return JSON.stringify(layout, function (key, value) {
      return key === "range" ? undefined : value;
    });
  }

  function snapshot(spec, meta) {
    return {
      traces: spec.data.map(function (t) { return JSON.stringify(t); }),
      layout: layoutWithoutRanges(spec.layout) + JSON.stringify(meta.optvizFit || null) +
              JSON.stringify(meta.optvizPlay || null),
      ranges: axisRanges(spec.layout),
      table: JSON.stringify(meta.optvizCursor || null),
    };
  }

  function onlyMovableChanged(before, after) {
    const keys = new Set(Object.keys(before).concat(Object.keys(after)));
    for (const key of keys) {
      if (!MOVABLE.has(key) && JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
        return false;
      }
    }
    return true;
  }

  // An axis keeps the range on screen while the new one lies inside it and spans at
  // least half of it: while a slider is explored the frame stays put (easier to compare
  // by eye, and a range change costs plotly ~100 ms here); nothing is ever cut off, and
  // curves never shrink to less than half the panel. A full redraw takes the new range.
  function keepsRange(shownRange, next) {
    if (!Array.isArray(shownRange) || !Array.isArray(next)) { return false; }
    return next[0] >= shownRange[0] && next[1] <= shownRange[1] &&
           next[1] - next[0] >= 0.5 * (shownRange[1] - shownRange[0]);
  }

  // What changed between the figure on screen and the new one, or null: draw anew.
  function plan(old, now, spec, cursorTraces) {
    if (old.layout !== now.layout || old.traces.length !== now.traces.length) {
      return null;
    }
    const traces = [];
    for (let i = 0; i < now.traces.length; i++) {
      if (now.traces[i] === old.traces[i] || cursorTraces.has(i)) { continue; }
      // (the text, not old objects: plotly writes into the objects it was given)
      if (!onlyMovableChanged(JSON.parse(old.traces[i]), spec.data[i])) { return null; }
      traces.push(i);
    }
    const ranges = {};
    for (const name of Object.keys(now.ranges)) {
      if (now.ranges[name] === old.ranges[name]) { continue; }
      const next = spec.layout[name].range;
      if (!keepsRange((gd.layout[name] || {}).range, next)) { ranges[name] = next; }
    }
    return { traces: traces, ranges: ranges, table: now.table !== old.table };
  }

  // plotly.js draws a transition subplot by subplot, from the animated traces alone, and
  // takes away everything drawn in a subplot that has none of them (its curves and its
  // cursor: a ρ move emptied the momentum and ADAGRAD accumulator panels). So each such
  // subplot takes part with one trace, its smallest, moved to where it already is.
  function bystanders(traces) {
    const subplot = function (t) { return (t.xaxis || "x") + (t.yaxis || "y"); };
    const covered = new Set(traces.map(function (i) { return subplot(gd.data[i]); }));
    const pick = {};
    gd.data.forEach(function (t, i) {
      if (isDeep(t)) { return; }  // the 3-D scene is not part of a 2-D transition
      const s = subplot(t);
      const size = (t.x || []).length;
      if (!covered.has(s) && (!(s in pick) || size < pick[s].size)) { pick[s] = { i: i, size: size }; }
    });
    return Object.keys(pick).map(function (s) { return pick[s].i; });
  }

  async function inPlace(spec, change) {
    // One transition for the curves and any new axis range (cartesian ranges are
    // animatable): plotly then recomputes the figure's defaults once.
    const layout = {};
    for (const name of Object.keys(change.ranges)) { layout[name] = { range: change.ranges[name] }; }
    const flat = change.traces.filter(function (i) { return !isDeep(gd.data[i]); });
    const deep = change.traces.filter(function (i) { return isDeep(gd.data[i]); });
    if (flat.length || Object.keys(layout).length) {
      const still = bystanders(flat);
      const data = flat.map(function (i) { return spec.data[i]; }).concat(
        still.map(function (i) { return { x: gd.data[i].x, y: gd.data[i].y }; }));
      await Plotly.animate(gd, { data: data, traces: flat.concat(still), layout: layout }, NOW);
    }
    if (deep.length) {  // the 3-D view's paths: one restyle of what moved
      holdCamera(gd.layout);
      const update = {};
      for (const key of MOVABLE) {
        if (deep.some(function (i) { return key in spec.data[i]; })) {
          update[key] = deep.map(function (i) { return spec.data[i][key]; });
        }
      }
      await Plotly.restyle(gd, update, deep);
    }
  }

  // The step cursors are one trace per panel (one point per optimizer), so hiding an
  // optimizer from the legend does not hide its cursor: make those points transparent.
  // (customdata holds each point's legend group.)
  function syncCursors() {
    const hidden = new Set();
    gd.data.forEach(function (t) {
      if (t.showlegend && t.legendgroup && t.visible === "legendonly") {
        hidden.add(t.legendgroup);
      }
    });
    const traces = [];
    const opacity = [];
    gd.data.forEach(function (t, i) {
      if (t.name === "cursor" && Array.isArray(t.customdata)) {
        traces.push(i);
        opacity.push(t.customdata.map(function (g) { return hidden.has(g) ? 0 : 1; }));
      }
    });
    if (traces.length) { return Plotly.restyle(gd, { "marker.opacity": opacity }, traces); }
  }

  // A press on the 3-D scene: where it went down, and the surface point plotly reported
  // while it was held. Released within CLICK_SLOP px of where it went down, it is a
  // click (a new start); moved further, it was a drag that turned the camera.
  const CLICK_SLOP = 5;
  const surfacePress = { down: null, point: null, hovered: null };
  window.addEventListener("pointerdown", function (e) {
    surfacePress.down = { x: e.clientX, y: e.clientY };
    surfacePress.point = null;
  }, true);
  window.addEventListener("pointerup", function (e) {
    const down = surfacePress.down;
    // a quick click may come up before the scene draws a frame with the button held:
    // then the point is the one under the pointer, which plotly last reported as hovered
    const point = surfacePress.point || surfacePress.hovered;
    surfacePress.down = null;
    surfacePress.point = null;
    if (!down || !point || !(gd.data && gd.data.some(isDeep))) { return; }
    if (Math.hypot(e.clientX - down.x, e.clientY - down.y) <= CLICK_SLOP) {
      sendValue({ kind: "click", x: point.x, y: point.y });
    }
  }, true);

  function listen() {
    if (listening) { return; }
    listening = true;
    gd.on("plotly_hover", function (event) {
      const point = event && event.points && event.points[0];
      const onSurface = point && point.data && point.data.type === "surface" &&
        Number.isFinite(point.x) && Number.isFinite(point.y);
      surfacePress.hovered = onSurface ? { x: point.x, y: point.y } : null;
    });
    gd.on("plotly_unhover", function () { surfacePress.hovered = null; });
    gd.on("plotly_restyle", function (event) {
      if (event && event[0] && "visible" in event[0]) { syncCursors(); }
    });
    // A click on the contour panel sets the start point: where the mouse is, in the
    // panel's own coordinates (not the nearest point of plotly's hover grid).
    gd.on("plotly_click", function (event) {
      const point = event && event.points && event.points[0];
      if (point && point.data && point.data.type === "surface") {  // the 3-D view
        // plotly's scene reports a "click" at every frame drawn while a button is held,
        // a drag that turns the camera included: keep the point, and send it only if
        // the button comes up where it went down (see surfacePress)
        if (Number.isFinite(point.x) && Number.isFinite(point.y) && surfacePress.down) {
          surfacePress.point = { x: point.x, y: point.y };
        }
        return;
      }
      if (!point || !point.xaxis || point.xaxis._id !== "x" || point.yaxis._id !== "y") {
        return;
      }
      let x = point.x;
      let y = point.y;
      const e = event.event;
      const xa = gd._fullLayout.xaxis;
      const ya = gd._fullLayout.yaxis;
      if (e && xa && ya && Number.isFinite(e.clientX)) {
        const box = (gd.querySelector('.nsewdrag[data-subplot="xy"]') ||
                     gd.querySelector(".nsewdrag")).getBoundingClientRect();
        const px = e.clientX - box.left;
        const py = e.clientY - box.top;
        if (px >= 0 && py >= 0 && px <= box.width && py <= box.height) {
          x = xa.p2l(px);
          y = ya.p2l(py);
        }
      }
      if (!Number.isFinite(x) || !Number.isFinite(y)) { return; }
      sendValue({ kind: "click", x: x, y: y });
    });
  }

  function themeOf(layout) {
    const bg = String(layout.paper_bgcolor || "white");
    const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(bg);
    const dark = m && (parseInt(m[1], 16) + parseInt(m[2], 16) + parseInt(m[3], 16)) < 3 * 90;
    document.body.classList.toggle("dark", !!dark);
    document.body.style.background = bg;
    const font = (layout.font && layout.font.size) || 13;
    bar.style.setProperty("--font", Math.round(font > 15 ? font * 0.9 : font * 1.05) + "px");
  }

  function covers(b, spec) {
    return !b.types || spec.data.every(function (t) {
      return b.types.includes(t.type || "scatter");
    });
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      const tag = document.createElement("script");
      tag.src = src;
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error(src + " did not load")); };
      document.head.appendChild(tag);
    });
  }

  // The bundle that draws `spec` is loaded (once). A change of bundle takes the figure
  // off the page with the old one, so that the next draw is a new one.
  async function plotlyFor(spec) {
    if (bundle >= 0 && covers(BUNDLES[bundle], spec)) { return; }
    const want = BUNDLES.findIndex(function (b) { return covers(b, spec); });
    if (bundle >= 0) {
      window.Plotly.purge(gd);
      listening = false;
      shown = null;
    }
    try {
      await loadScript(BUNDLES[want].src);
    } catch (err) {
      showProblem("plotly.js did not load, so the figure cannot be drawn.");
      throw err;
    }
    bundle = want;
    window.optvizChart.bundle = BUNDLES[want].src;
  }

  async function draw(spec, config) {
    await plotlyFor(spec);
    const started = performance.now();
    const meta = spec.layout.meta || {};
    delete spec.layout.meta;  // the table is this file's, not plotly's
    spec.layout.clickmode = "event";
    const now = snapshot(spec, meta);
    const cursorTraces = new Set(((meta.optvizCursor || {}).traces) || []);
    const change = shown && plan(shown, now, spec, cursorTraces);
    if (change && !change.traces.length && !Object.keys(change.ranges).length && !change.table) {
      window.optvizChart.unchanged += 1;
    } else if (change) {
      await inPlace(spec, change);
      if (change.table) { table = readTable(meta.optvizCursor); exact = null; drawnStep = -1; }
      window.optvizChart.inPlace += 1;
    } else {
      table = readTable(meta.optvizCursor);
      exact = null;
      fit = meta.optvizFit || null;
      const play = meta.optvizPlay || {};
      playMs = play.frame_ms || 60;
      playFrames = play.frames || 200;
      themeOf(spec.layout);
      bar.classList.toggle("ready", !!table);
      geometry = captureGeometry(spec);
      if (fit) { applyToSpec(spec, shareFor(room())); }
      plotHeight = spec.layout.height || 600;
      // The container gets the figure's height: on a resize (the sidebar folds, the
      // window narrows) plotly's responsive mode re-measures it, and an iframe's body
      // has no height of its own.
      gd.style.height = Math.ceil(plotHeight) + "px";
      if (gd.layout && gd.layout.uirevision === spec.layout.uirevision) { holdCamera(spec.layout); }
      await Plotly.react(gd, { data: spec.data, layout: spec.layout, config: config });
      window.optvizChart.full += 1;
      window.optvizChart.scale = scale;
      drawnStep = -1;
      listen();
      await syncCursors();  // a redraw keeps the legend's choices (uirevision)
    }
    shown = now;
    if (table && step > table.steps) { step = table.steps; }
    document.getElementById("problem").style.display = "none";
    window.optvizChart.lastMs = performance.now() - started;
    tellHeight(plotHeight);
  }

  function showProblem(text) {
    const box = document.getElementById("problem");
    box.textContent = text;
    box.style.display = "block";
  }

  window.addEventListener("message", function (event) {
    const message = event.data;
    if (!message || message.type !== "streamlit:render") { return; }
    const args = message.args || {};
    let spec;
    try {
      spec = JSON.parse(args.spec);
    } catch (err) {
      showProblem("The figure could not be read: " + err);
      return;
    }
    pending = pending.then(function () {
      window.optvizChart.lastSpec = args.spec;  // the text as received, for checks
      return draw(spec, args.config || {});
    }).catch(function (err) {
      // An in-place update that plotly refused: draw the whole figure instead.
      console.warn("optviz: redrawing the figure after", err);
      shown = null;
      return draw(JSON.parse(args.spec), args.config || {}).catch(function (again) {
        showProblem("The figure could not be drawn: " + again);
      });
    }).then(function () {
      // Python's step: a new one (the inspector, a lesson's button, a link) moves the
      // cursor; the one it was told is not sent back.
      if (args.exact && table) { exact = args.exact; }
      if (args.step_rev !== undefined && args.step_rev !== stepRev) {
        stepRev = args.step_rev;
        stop();
        sentStep = Number(args.step) || 0;
        goTo(sentStep, false);
      } else {
        goTo(step, false);  // the new runs at the cursor's step
      }
      refitSoon();  // what lies above the chart may have changed
    });
  });

  // for checks: the cursor's points at a step, as this chart computes them
  window.optvizChart.cursorAt = function (s) {
    return table ? { traces: table.traces, data: cursorAt(s).data } : null;
  };
  wireBar();
  listenToKeys();
  send("streamlit:componentReady", { apiVersion: 1 });
})();

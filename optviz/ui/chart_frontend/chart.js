// The animated optviz figure as a Streamlit component (the v1 iframe protocol of
// streamlit-component-lib, spoken directly: no build step, no npm, no CDN).
//
// Why a component and not st.plotly_chart: st.plotly_chart hands every new figure to
// Plotly.react, which redraws all panels and re-registers all ~200 frames, even when a
// slider moved one optimizer's path. Here an update that changes only the data of some
// traces (and perhaps axis ranges) is applied in place:
//   * the changed traces move with Plotly.animate (redraw: false), as the frames do, in
//     the same transition as any axis range that must change (see keepsRange);
//   * the frames are replaced by name (Plotly.addFrames) and the step cursor stays where
//     the student left it, now showing the new runs at that step.
// Anything else (another objective, more or fewer traces, a new layout) is drawn anew by
// Plotly.react. The figure itself is built in Python (optviz.figures); this file only
// decides how to put it on screen.
(function () {
  "use strict";

  const gd = document.getElementById("chart");
  const NOW = { transition: { duration: 0 }, frame: { duration: 0, redraw: false },
                mode: "immediate" };
  // Trace properties that can change in place; a change to any other redraws the figure.
  const MOVABLE = new Set(["x", "y", "text"]);

  let shown = null;                // what is on screen, as text to diff against
  let pending = Promise.resolve(); // updates are applied one after the other
  let listening = false;
  let height = 0;
  // Counts for tests and curious readers: how each update was drawn.
  window.optvizChart = { full: 0, inPlace: 0, unchanged: 0, lastMs: 0 };

  function send(type, data) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data),
                              "*");
  }

  // plotly.js rejects an animation's promise, with no reason, when it is interrupted (by
  // Pause, or by an update arriving while playing): expected, so not an error.
  window.addEventListener("unhandledrejection", function (event) {
    if (event.reason === undefined) { event.preventDefault(); }
  });

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

  function snapshot(spec) {
    return {
      traces: spec.data.map(function (t) { return JSON.stringify(t); }),
      layout: layoutWithoutRanges(spec.layout),
      ranges: axisRanges(spec.layout),
      frames: JSON.stringify(spec.frames || []),
      frameNames: (spec.frames || []).map(function (f) { return f.name; }).join("|"),
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
  function keepsRange(shown, next) {
    if (!Array.isArray(shown) || !Array.isArray(next)) { return false; }
    return next[0] >= shown[0] && next[1] <= shown[1] &&
           next[1] - next[0] >= 0.5 * (shown[1] - shown[0]);
  }

  // What changed between the figure on screen and the new one, or null: draw anew.
  function plan(old, now, spec) {
    if (old.layout !== now.layout || old.frameNames !== now.frameNames ||
        old.traces.length !== now.traces.length) {
      return null;
    }
    const traces = [];
    for (let i = 0; i < now.traces.length; i++) {
      if (now.traces[i] === old.traces[i]) { continue; }
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
    return { traces: traces, ranges: ranges, frames: now.frames !== old.frames };
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
      const s = subplot(t);
      const size = (t.x || []).length;
      if (!covered.has(s) && (!(s in pick) || size < pick[s].size)) { pick[s] = { i: i, size: size }; }
    });
    return Object.keys(pick).map(function (s) { return pick[s].i; });
  }

  async function inPlace(spec, change) {
    // Where the step cursor is: after the update it shows the new runs at that step.
    const slider = (gd.layout.sliders || [])[0];
    const at = slider ? slider.active || 0 : 0;
    const frame = change.frames && at > 0 && spec.frames[at];
    const markers = new Set(frame ? frame.traces : []);
    const traces = change.traces.filter(function (i) { return !markers.has(i); });
    // One transition for the curves and any new axis range (cartesian ranges are
    // animatable): plotly then recomputes the figure's defaults once.
    const layout = {};
    for (const name of Object.keys(change.ranges)) { layout[name] = { range: change.ranges[name] }; }
    if (traces.length || Object.keys(layout).length) {
      const still = bystanders(traces);
      const data = traces.map(function (i) { return spec.data[i]; }).concat(
        still.map(function (i) { return { x: gd.data[i].x, y: gd.data[i].y }; }));
      await Plotly.animate(gd, { data: data, traces: traces.concat(still), layout: layout },
                           NOW);
    }
    if (change.frames) {
      await Plotly.addFrames(gd, spec.frames);  // same names: each frame is replaced
      // By name, so that ▶ Play then goes on from this step and not from step 0.
      if (frame) { await Plotly.animate(gd, [frame.name], NOW); }
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

  function listen() {
    if (listening) { return; }
    listening = true;
    gd.on("plotly_restyle", function (event) {
      if (event && event[0] && "visible" in event[0]) { syncCursors(); }
    });
    // A click on the contour panel (its invisible grid of points) sets the start point.
    gd.on("plotly_click", function (event) {
      const point = event && event.points && event.points[0];
      if (!point || !point.xaxis || point.xaxis._id !== "x" || point.yaxis._id !== "y") {
        return;
      }
      if (!Number.isFinite(point.x) || !Number.isFinite(point.y)) { return; }
      send("streamlit:setComponentValue", {
        value: { x: point.x, y: point.y, at: Date.now() }, dataType: "json",
      });
    });
  }

  async function draw(spec, config) {
    const started = performance.now();
    spec.layout.clickmode = "event";
    const now = snapshot(spec);
    const change = shown && plan(shown, now, spec);
    if (change && !change.traces.length && !Object.keys(change.ranges).length &&
        !change.frames) {
      window.optvizChart.unchanged += 1;
    } else if (change) {
      await inPlace(spec, change);
      window.optvizChart.inPlace += 1;
    } else {
      // The container gets the figure's height: on a resize (the sidebar folds, the
      // window narrows) plotly's responsive mode re-measures it, and an iframe's body
      // has no height of its own.
      gd.style.height = Math.ceil(spec.layout.height || 600) + "px";
      await Plotly.react(gd, { data: spec.data, layout: spec.layout, frames: spec.frames,
                               config: config });
      window.optvizChart.full += 1;
      listen();
      await syncCursors();  // a redraw keeps the legend's choices (uirevision)
    }
    shown = now;
    document.getElementById("problem").style.display = "none";
    window.optvizChart.lastMs = performance.now() - started;
    const h = Math.ceil(spec.layout.height || gd.offsetHeight);
    if (h !== height) {
      height = h;
      send("streamlit:setFrameHeight", { height: h });
    }
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
      return draw(spec, args.config || {}).catch(function (again) {
        showProblem("The figure could not be drawn: " + again);
      });
    });
  });

  if (typeof Plotly === "undefined") {
    showProblem("plotly.js did not load, so the figure cannot be drawn.");
  }
  send("streamlit:componentReady", { apiVersion: 1 });
})();

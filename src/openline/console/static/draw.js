/*
 * openline console: draw an activity area on a world map, or preview pasted GeoJSON.
 *
 * Plain ES2017 script: no modules, no build step, no network access beyond the
 * node itself. It needs the vendored globals `d3` (d3-array.min.js, then
 * d3-geo.min.js) and `topojson` (topojson-client.min.js), loaded before it.
 *
 * Contract with the page:
 *   <textarea id="area" name="area">{optional GeoJSON}</textarea>
 *   <div id="draw-map"
 *        data-atlas-url="/console/static/vendor/countries-110m.json"
 *        data-target="area"                       (id of the textarea)
 *        data-t-hint="Click the map to add corners; close the area with the button."
 *        data-t-undo="Undo corner" data-t-clear="Clear" data-t-close="Close area"
 *        data-t-invalid="Not a polygon I can draw"
 *        data-t-corners="corners"                 (optional, "3 corners")
 *        data-t-corner="corner"                   (optional, "1 corner")
 *        data-t-closed="Area closed"              (optional, announced on close)
 *        data-t-zoom-in="+" data-t-zoom-out="−"   (optional, visible button text)
 *        data-t-zoom-in-label="Zoom in"           (optional, accessible names)
 *        data-t-zoom-out-label="Zoom out"
 *        aria-label="Draw the area"></div>
 *
 * The script fills the div with a toolbar (div.draw-toolbar), the map
 * (svg.draw-svg, role="img") and a status line (p.draw-status, role="status").
 * The map takes the div's height from page CSS (less the toolbar and status
 * line); without one it is about 2:1.
 *
 * A click on the map adds a corner; a drag pans (longitude rotates, latitude
 * shifts); the wheel and the +/− buttons zoom. "Close area" (or a click on the
 * first corner) writes {"type":"Polygon","coordinates":[[...]]} into the
 * textarea, counter-clockwise (RFC 7946 §3.1.6), coordinates rounded to 4
 * decimals, and dispatches an "input" event on it. An area drawn across the
 * antimeridian is cut there into a MultiPolygon (RFC 7946 §3.1.9).
 *
 * The textarea is previewed whenever it holds a Polygon, a MultiPolygon, a
 * Point with radius_nm (a circle, 1 nautical mile = 1 arc-minute), a Feature of
 * one of those (radius_nm may be a property) or a FeatureCollection of exactly
 * one such Feature; the view fits it. Edits are re-read 300 ms after typing.
 *
 * window.openlineDraw = {attach(div)}; #draw-map is attached on DOMContentLoaded
 * (and on htmx:load). attach() returns a handle, or null without d3/topojson.
 *
 * Only SVG presentation attributes are set (no style attribute, no CSSOM), so a
 * strict Content-Security-Policy is fine; page CSS can restyle these classes:
 *   .draw-widget .is-dragging .is-invalid
 *   .draw-toolbar .draw-edit-tools .draw-zoom-tools .draw-button
 *   .draw-undo .draw-clear .draw-close .draw-zoom-in .draw-zoom-out
 *   .draw-svg .draw-base .draw-sphere .draw-graticule .draw-land .draw-borders
 *   .draw-sphere-outline .draw-area .draw-ring .draw-ring-closing .draw-corner
 *   .draw-corner-first .draw-status
 * (Touch panning wants `.draw-svg { touch-action: none; }` in page CSS.)
 */
(function () {
  "use strict";

  const DEFAULTS = {
    hint: "Click the map to add corners; close the area with the button.",
    undo: "Undo corner",
    clear: "Clear",
    close: "Close area",
    invalid: "Not a polygon I can draw",
    corners: "corners",
    corner: "corner",
    closed: "Area closed",
    zoomIn: "+",
    zoomOut: "−",
    zoomInLabel: "Zoom in",
    zoomOutLabel: "Zoom out",
  };

  const MAX_ZOOM = 256;
  const DRAG_THRESHOLD_PX = 4; // a pointer moving less than this is a click
  const CLOSE_HIT_PX = 10; // a click this close to the first corner closes the area
  const INPUT_DEBOUNCE_MS = 300;
  const FIT_PADDING = 0.1; // fraction of the view left around a previewed area
  const MIN_FIT_RADIUS_DEG = 2; // a previewed area is shown at least this far around its centre
  const MIN_SVG_HEIGHT = 120;
  const MAX_CORNERS = 999; // the server takes at most 1000 positions, closure included

  const COLOURS = {
    ocean: "#eef3f7",
    sphereStroke: "#9aa7b1",
    graticule: "#d3dde4",
    land: "#dedad0",
    coast: "#a39e90",
    borders: "#ffffff",
    area: "#0b5394",
    drawing: "#a4155f",
  };

  let svgNamespace = null;
  const atlasCache = new Map(); // atlas URL -> Promise of {land, borders}
  const widgets = new Map(); // container -> widget

  function hasLibraries() {
    return (
      typeof window.d3 !== "undefined" &&
      typeof window.d3.geoPath === "function" &&
      typeof window.d3.geoEqualEarth === "function" &&
      typeof window.topojson !== "undefined" &&
      typeof window.topojson.feature === "function"
    );
  }

  // The SVG namespace, taken from an element the HTML parser created, so the
  // script itself carries no URL at all.
  function svgNS() {
    if (svgNamespace === null) {
      const probe = document.createElement("div");
      probe.innerHTML = "<svg></svg>";
      svgNamespace = probe.firstChild.namespaceURI;
    }
    return svgNamespace;
  }

  function svgEl(name, attrs, parent) {
    const node = document.createElementNS(svgNS(), name);
    setAttrs(node, attrs);
    if (parent) parent.appendChild(node);
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) return;
    for (const key of Object.keys(attrs)) {
      const value = attrs[key];
      if (value === null || value === undefined) node.removeAttribute(key);
      else node.setAttribute(key, String(value));
    }
  }

  function round4(value) {
    return Math.round(value * 1e4) / 1e4 + 0; // + 0 turns -0 into 0
  }

  function normaliseLon(lon) {
    return ((((lon + 180) % 360) + 360) % 360) - 180;
  }

  function wrapDelta(delta) {
    // A longitude difference in (-180, 180].
    let d = normaliseLon(delta);
    if (d === -180) d = 180;
    return d;
  }

  function readTexts(container) {
    const texts = {};
    for (const key of Object.keys(DEFAULTS)) {
      const attr = "data-t-" + key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
      const value = container.getAttribute(attr);
      texts[key] = value !== null && value.trim() !== "" ? value : DEFAULTS[key];
    }
    return texts;
  }

  function loadAtlas(url) {
    if (!atlasCache.has(url)) {
      const promise = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => {
          if (!response.ok) throw new Error("HTTP " + response.status + " for " + url);
          return response.json();
        })
        .then((atlas) => {
          const countries = atlas && atlas.objects && atlas.objects.countries;
          if (!countries) throw new Error("atlas has no countries object");
          return {
            land: window.topojson.feature(atlas, countries),
            borders: window.topojson.mesh(atlas, countries, (a, b) => a !== b),
          };
        });
      promise.catch(() => atlasCache.delete(url)); // a later attach may succeed
      atlasCache.set(url, promise);
    }
    return atlasCache.get(url);
  }

  // --- geometry -------------------------------------------------------------------

  function isPosition(value) {
    return (
      Array.isArray(value) &&
      value.length >= 2 &&
      typeof value[0] === "number" &&
      typeof value[1] === "number" &&
      isFinite(value[0]) &&
      isFinite(value[1]) &&
      Math.abs(value[0]) <= 180 &&
      Math.abs(value[1]) <= 90
    );
  }

  function isRings(value) {
    return (
      Array.isArray(value) &&
      value.length >= 1 &&
      value.every((ring) => Array.isArray(ring) && ring.length >= 3 && ring.every(isPosition))
    );
  }

  // d3-geo wants exterior rings clockwise, RFC 7946 counter-clockwise: a ring set
  // that seems to cover more than a hemisphere is the other way round.
  function rewindRings(rings) {
    const plain = rings.map((ring) => ring.map((p) => [p[0], p[1]]));
    const area = window.d3.geoArea({ type: "Polygon", coordinates: plain });
    if (area > 2 * Math.PI) return plain.map((ring) => ring.slice().reverse());
    return plain;
  }

  function circle(center, radiusNm) {
    const degrees = radiusNm / 60; // 1 nautical mile = 1 arc-minute
    return window.d3.geoCircle().center([center[0], center[1]]).radius(degrees).precision(2)();
  }

  // A geometry object -> something d3 can draw, or null if it is no area.
  function drawableGeometry(geometry, radiusFromProperties) {
    if (!geometry || typeof geometry !== "object") return null;
    if (geometry.type === "Polygon") {
      if (!isRings(geometry.coordinates)) return null;
      return { type: "Polygon", coordinates: rewindRings(geometry.coordinates) };
    }
    if (geometry.type === "MultiPolygon") {
      const polygons = geometry.coordinates;
      if (!Array.isArray(polygons) || polygons.length === 0 || !polygons.every(isRings)) return null;
      return { type: "MultiPolygon", coordinates: polygons.map(rewindRings) };
    }
    if (geometry.type === "Point") {
      let radius = geometry.radius_nm;
      if (radius === undefined || radius === null) radius = radiusFromProperties;
      radius = typeof radius === "string" && radius.trim() !== "" ? Number(radius) : radius;
      if (!isPosition(geometry.coordinates) || typeof radius !== "number") return null;
      if (!isFinite(radius) || radius <= 0 || radius > 10800) return null;
      return circle(geometry.coordinates, radius);
    }
    return null;
  }

  // Text of the textarea -> {empty: true} | {geometry} | {invalid: true}.
  function parseArea(text) {
    if (text.trim() === "") return { empty: true };
    let value;
    try {
      value = JSON.parse(text);
    } catch (_err) {
      return { invalid: true };
    }
    if (value && value.type === "FeatureCollection") {
      if (!Array.isArray(value.features) || value.features.length !== 1) return { invalid: true };
      value = value.features[0];
    }
    let radius;
    if (value && value.type === "Feature") {
      const props = value.properties;
      if (props && typeof props === "object") radius = props.radius_nm;
      value = value.geometry;
    }
    const geometry = drawableGeometry(value, radius);
    return geometry ? { geometry: geometry } : { invalid: true };
  }

  function signedArea(ring) {
    // Shoelace in the plane of (lon, lat): positive when counter-clockwise.
    let sum = 0;
    for (let i = 0; i < ring.length; i += 1) {
      const a = ring[i];
      const b = ring[(i + 1) % ring.length];
      sum += a[0] * b[1] - b[0] * a[1];
    }
    return sum / 2;
  }

  // Sutherland-Hodgman against one vertical line: keep the side where
  // sign * (lon - 180) <= 0. Works on an open ring; returns an open ring.
  function clipAt180(ring, sign) {
    const inside = (p) => sign * (p[0] - 180) <= 0;
    const cut = (p, q) => [180, p[1] + ((180 - p[0]) * (q[1] - p[1])) / (q[0] - p[0])];
    const out = [];
    for (let i = 0; i < ring.length; i += 1) {
      const p = ring[i];
      const q = ring[(i + 1) % ring.length];
      if (inside(q)) {
        if (!inside(p)) out.push(cut(p, q));
        out.push(q);
      } else if (inside(p)) {
        out.push(cut(p, q));
      }
    }
    return out;
  }

  // Round, drop repeated positions, close. Null when fewer than 3 corners remain.
  function tidyRing(ring, shift) {
    const out = [];
    for (const p of ring) {
      const q = [round4(p[0] + shift), round4(p[1])];
      const last = out[out.length - 1];
      if (!last || last[0] !== q[0] || last[1] !== q[1]) out.push(q);
    }
    while (out.length > 1 && out[0][0] === out[out.length - 1][0] && out[0][1] === out[out.length - 1][1]) {
      out.pop();
    }
    if (out.length < 3 || signedArea(out) === 0) return null;
    out.push([out[0][0], out[0][1]]);
    return out;
  }

  // Corners (lon, lat, in [-180, 180]) -> RFC 7946 Polygon or MultiPolygon, or null.
  function areaFromCorners(corners) {
    if (corners.length < 3) return null;
    // Unwrap longitudes so that every edge is the short way round.
    const ring = [[corners[0][0], corners[0][1]]];
    for (let i = 1; i < corners.length; i += 1) {
      const prev = ring[i - 1];
      ring.push([prev[0] + wrapDelta(corners[i][0] - corners[i - 1][0]), corners[i][1]]);
    }
    // The closing edge must be the short way too, or the ring goes round a pole.
    const last = ring[ring.length - 1];
    if (Math.abs(last[0] + wrapDelta(corners[0][0] - corners[corners.length - 1][0]) - ring[0][0]) > 1e-9) {
      return null;
    }
    const area = signedArea(ring);
    if (area === 0) return null;
    if (area < 0) ring.reverse();
    let min = Infinity;
    let max = -Infinity;
    for (const p of ring) {
      min = Math.min(min, p[0]);
      max = Math.max(max, p[0]);
    }
    if (max - min >= 360) return null;
    if (min < -180) {
      for (const p of ring) p[0] += 360;
      min += 360;
      max += 360;
    }
    if (max <= 180) {
      const tidy = tidyRing(ring, 0);
      return tidy ? { type: "Polygon", coordinates: [tidy] } : null;
    }
    if (min >= 180) {
      const tidy = tidyRing(ring, -360);
      return tidy ? { type: "Polygon", coordinates: [tidy] } : null;
    }
    // Crosses the antimeridian: cut there (RFC 7946 §3.1.9).
    const east = tidyRing(clipAt180(ring, 1), 0);
    const west = tidyRing(clipAt180(ring, -1), -360);
    const parts = [east, west].filter(Boolean);
    if (parts.length === 0) return null;
    if (parts.length === 1) return { type: "Polygon", coordinates: [parts[0]] };
    return { type: "MultiPolygon", coordinates: parts.map((r) => [r]) };
  }

  // --- the widget -------------------------------------------------------------------

  function makeButton(parent, className, text, label) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "draw-button " + className;
    button.textContent = text;
    if (label) {
      button.setAttribute("aria-label", label);
      button.title = label;
    }
    parent.appendChild(button);
    return button;
  }

  function createWidget(container) {
    const d3 = window.d3;
    const texts = readTexts(container);
    const targetId = container.getAttribute("data-target");
    const textarea = targetId ? document.getElementById(targetId) : null;

    const state = {
      corners: [], // [lon, lat], rounded to 4 decimals
      area: null, // d3-drawable geometry of the current area (from the textarea)
      invalid: false,
      announce: null, // a one-off status message, until the next change
      lastWritten: null, // what this widget last wrote into the textarea
      atlas: null,
      width: 0,
      height: 0,
      baseScale: 1,
      sphereHalfHeight: 1, // of the whole map, in projection units (pixels / scale)
      k: 1, // zoom factor
      lambda: 0, // projection rotation, degrees
      offsetY: 0, // vertical pan, in projection units, so that a resize keeps the view
      frame: null,
      inputTimer: null,
      pointer: null,
    };

    container.textContent = "";
    container.classList.add("draw-widget");

    const toolbar = document.createElement("div");
    toolbar.className = "draw-toolbar";
    const editTools = document.createElement("span");
    editTools.className = "draw-edit-tools";
    const zoomTools = document.createElement("span");
    zoomTools.className = "draw-zoom-tools";
    toolbar.appendChild(editTools);
    toolbar.appendChild(document.createTextNode(" "));
    toolbar.appendChild(zoomTools);
    const undoButton = makeButton(editTools, "draw-undo", texts.undo, null);
    editTools.appendChild(document.createTextNode(" "));
    const clearButton = makeButton(editTools, "draw-clear", texts.clear, null);
    editTools.appendChild(document.createTextNode(" "));
    const closeButton = makeButton(editTools, "draw-close", texts.close, null);
    const zoomOutButton = makeButton(zoomTools, "draw-zoom-out", texts.zoomOut, texts.zoomOutLabel);
    zoomTools.appendChild(document.createTextNode(" "));
    const zoomInButton = makeButton(zoomTools, "draw-zoom-in", texts.zoomIn, texts.zoomInLabel);

    const svg = svgEl("svg", {
      class: "draw-svg",
      role: "img",
      "aria-label": container.getAttribute("aria-label") || null,
      width: "100%",
      display: "block",
      cursor: "crosshair",
      overflow: "hidden",
    });
    const base = svgEl("g", { class: "draw-base", "aria-hidden": "true" }, svg);
    const sphere = svgEl("path", { class: "draw-sphere", fill: COLOURS.ocean }, base);
    const graticule = svgEl(
      "path",
      { class: "draw-graticule", fill: "none", stroke: COLOURS.graticule, "stroke-width": 0.6 },
      base,
    );
    const land = svgEl(
      "path",
      { class: "draw-land", fill: COLOURS.land, stroke: COLOURS.coast, "stroke-width": 0.6, "stroke-linejoin": "round" },
      base,
    );
    const borders = svgEl(
      "path",
      { class: "draw-borders", fill: "none", stroke: COLOURS.borders, "stroke-width": 0.8, "stroke-linejoin": "round" },
      base,
    );
    const outline = svgEl(
      "path",
      { class: "draw-sphere-outline", fill: "none", stroke: COLOURS.sphereStroke, "stroke-width": 1 },
      base,
    );
    const areaPath = svgEl(
      "path",
      {
        class: "draw-area",
        fill: COLOURS.area,
        "fill-opacity": 0.2,
        stroke: COLOURS.area,
        "stroke-width": 2,
        "stroke-linejoin": "round",
      },
      svg,
    );
    const drawing = svgEl("g", { class: "draw-drawing" }, svg);
    const closing = svgEl(
      "path",
      { class: "draw-ring-closing", fill: "none", stroke: COLOURS.drawing, "stroke-width": 1.5, "stroke-dasharray": "5 4" },
      drawing,
    );
    const ringPath = svgEl(
      "path",
      { class: "draw-ring", fill: "none", stroke: COLOURS.drawing, "stroke-width": 2, "stroke-linejoin": "round" },
      drawing,
    );
    const cornerLayer = svgEl("g", { class: "draw-corners" }, drawing);

    const status = document.createElement("p");
    status.className = "draw-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    container.appendChild(toolbar);
    container.appendChild(svg);
    container.appendChild(status);

    // --- view -----------------------------------------------------------------

    function projection(clipped) {
      const p = d3
        .geoEqualEarth()
        .rotate([state.lambda, 0])
        .scale(state.baseScale * state.k)
        .translate([state.width / 2, state.height / 2 + state.offsetY * state.baseScale * state.k]);
      if (clipped) p.clipExtent([[-2, -2], [state.width + 2, state.height + 2]]);
      return p;
    }

    function outerHeight(node) {
      const cs = window.getComputedStyle(node);
      return node.offsetHeight + (parseFloat(cs.marginTop) || 0) + (parseFloat(cs.marginBottom) || 0);
    }

    // The div's own size, without the SVG (which would otherwise lend it its
    // height): the page's CSS height less the toolbar and status line, or 2:1.
    function measure() {
      const previous = svg.getAttribute("height");
      svg.setAttribute("height", "0");
      const cs = window.getComputedStyle(container);
      const padX = (parseFloat(cs.paddingLeft) || 0) + (parseFloat(cs.paddingRight) || 0);
      const padY = (parseFloat(cs.paddingTop) || 0) + (parseFloat(cs.paddingBottom) || 0);
      const width = Math.max(200, Math.round((container.clientWidth || 720) - padX));
      const free = container.clientHeight - padY - outerHeight(toolbar) - outerHeight(status);
      if (previous !== null) svg.setAttribute("height", previous);
      const height = free >= MIN_SVG_HEIGHT ? Math.floor(free) : Math.round(width / 2);
      return { width: width, height: height };
    }

    function clampView() {
      state.k = Math.min(MAX_ZOOM, Math.max(1, state.k));
      const limit = Math.max(0, state.sphereHalfHeight - state.height / 2 / (state.baseScale * state.k));
      state.offsetY = Math.min(limit, Math.max(-limit, state.offsetY));
      state.lambda = normaliseLon(state.lambda);
    }

    function resize() {
      const size = measure();
      if (size.width === state.width && size.height === state.height) return;
      state.width = size.width;
      state.height = size.height;
      const margin = 4;
      const fitted = d3.geoEqualEarth().fitExtent(
        [
          [margin, margin],
          [size.width - margin, size.height - margin],
        ],
        { type: "Sphere" },
      );
      state.baseScale = fitted.scale();
      const probe = d3.geoEqualEarth().scale(state.baseScale).translate([0, 0]);
      const bounds = d3.geoPath(probe).bounds({ type: "Sphere" });
      state.sphereHalfHeight = (bounds[1][1] - bounds[0][1]) / 2 / state.baseScale;
      state.sphereWidth = bounds[1][0] - bounds[0][0];
      setAttrs(svg, { viewBox: "0 0 " + size.width + " " + size.height, height: size.height });
      clampView();
      redraw();
    }

    // Degrees of longitude per pixel at the centre of the view, so that a drag
    // follows the pointer there.
    function degreesPerPixel() {
      const p = projection(false);
      const centre = p.invert([state.width / 2, state.height / 2]);
      let lat = centre && isFinite(centre[1]) ? centre[1] : 0;
      lat = Math.max(-85, Math.min(85, lat));
      const a = p([-state.lambda - 0.5, lat]);
      const b = p([-state.lambda + 0.5, lat]);
      const px = a && b ? Math.abs(b[0] - a[0]) : 0;
      if (px > 1e-6) return 1 / px;
      return 360 / (state.sphereWidth * state.k);
    }

    function graticuleFor(p) {
      if (state.k < 4) return d3.geoGraticule10();
      const step = state.k < 16 ? 5 : state.k < 64 ? 1 : 0.25;
      const centre = p.invert([state.width / 2, state.height / 2]) || [0, 0];
      const span = (state.width * degreesPerPixel()) / 2 + step;
      const spanLat = ((state.height / state.width) * span) + step;
      const snap = (v) => Math.floor(v / step) * step;
      const west = snap(centre[0] - Math.min(180, span * 1.5));
      const south = Math.max(-90, snap(centre[1] - spanLat * 1.5));
      return d3
        .geoGraticule()
        .extent([
          [west, south],
          [west + Math.min(360, span * 3 + 2 * step), Math.min(90, south + spanLat * 3 + 2 * step)],
        ])
        .step([step, step])
        .precision(Math.min(2.5, step))();
    }

    function redraw() {
      if (!state.width) return;
      const p = projection(true);
      const path = d3.geoPath(p);
      const sphereD = path({ type: "Sphere" }) || "";
      sphere.setAttribute("d", sphereD);
      outline.setAttribute("d", sphereD);
      graticule.setAttribute("d", path(graticuleFor(p)) || "");
      land.setAttribute("d", state.atlas ? path(state.atlas.land) || "" : "");
      borders.setAttribute("d", state.atlas ? path(state.atlas.borders) || "" : "");
      areaPath.setAttribute("d", state.area ? path(state.area) || "" : "");

      const corners = state.corners;
      ringPath.setAttribute("d", corners.length >= 2 ? path({ type: "LineString", coordinates: corners }) || "" : "");
      closing.setAttribute(
        "d",
        corners.length >= 3
          ? path({ type: "LineString", coordinates: [corners[corners.length - 1], corners[0]] }) || ""
          : "",
      );
      while (cornerLayer.firstChild) cornerLayer.removeChild(cornerLayer.firstChild);
      const unclipped = projection(false);
      corners.forEach((corner, index) => {
        const xy = unclipped(corner);
        if (!xy || !isFinite(xy[0]) || !isFinite(xy[1])) return;
        if (xy[0] < -20 || xy[1] < -20 || xy[0] > state.width + 20 || xy[1] > state.height + 20) return;
        // Hidden when it is on the far side of the map's edge (it would not round-trip).
        const back = unclipped.invert(xy);
        if (!back || Math.abs(wrapDelta(back[0] - corner[0])) > 1e-3) return;
        svgEl(
          "circle",
          {
            class: index === 0 ? "draw-corner draw-corner-first" : "draw-corner",
            cx: xy[0].toFixed(1),
            cy: xy[1].toFixed(1),
            r: index === 0 ? 6 : 4.5,
            fill: index === 0 ? "#ffffff" : COLOURS.drawing,
            stroke: COLOURS.drawing,
            "stroke-width": index === 0 ? 2.5 : 1.5,
          },
          cornerLayer,
        );
      });
    }

    function scheduleRedraw() {
      if (state.frame !== null) return;
      state.frame = window.requestAnimationFrame(() => {
        state.frame = null;
        redraw();
      });
    }

    function zoomAt(factor, x, y) {
      const before = projection(false).invert([x, y]);
      const target = before && isFinite(before[0]) && isFinite(before[1]) ? before : null;
      state.k *= factor;
      clampView();
      if (target) {
        // Keep the point under the pointer where it was (a few passes converge).
        for (let pass = 0; pass < 4; pass += 1) {
          const xy = projection(false)(target);
          if (!xy || !isFinite(xy[0]) || !isFinite(xy[1])) break;
          state.offsetY += (y - xy[1]) / (state.baseScale * state.k);
          state.lambda += (x - xy[0]) * degreesPerPixel();
          clampView();
        }
      }
      redraw();
    }

    function fitTo(geometry) {
      const bounds = d3.geoBounds(geometry);
      const west = bounds[0][0];
      let east = bounds[1][0];
      if (east < west) east += 360; // crosses the antimeridian
      const centre = [normaliseLon((west + east) / 2), (bounds[0][1] + bounds[1][1]) / 2];
      state.lambda = -centre[0];
      state.k = 1;
      state.offsetY = 0;
      clampView();
      // A small area is shown with some of its surroundings, not filling the map.
      const context = d3.geoCircle().center(centre).radius(MIN_FIT_RADIUS_DEG)();
      const box = d3
        .geoPath(projection(false))
        .bounds({ type: "GeometryCollection", geometries: [geometry, context] });
      const w = box[1][0] - box[0][0];
      const h = box[1][1] - box[0][1];
      if (!isFinite(w) || !isFinite(h)) return;
      const room = 1 - 2 * FIT_PADDING;
      state.k = Math.min(
        (state.width * room) / Math.max(w, 1e-9),
        (state.height * room) / Math.max(h, 1e-9),
      );
      state.offsetY = (state.height / 2 - (box[0][1] + box[1][1]) / 2) / state.baseScale;
      clampView();
      // Centre horizontally too (Equal Earth meridians are curved).
      const cx = (box[0][0] + box[1][0]) / 2 - state.width / 2; // at zoom 1
      state.lambda -= (cx * state.k) * degreesPerPixel();
      clampView();
    }

    // --- status and buttons ----------------------------------------------------

    function update() {
      const n = state.corners.length;
      undoButton.disabled = n === 0;
      closeButton.disabled = n < 3;
      clearButton.disabled = n === 0 && !state.area && !(textarea && textarea.value.trim() !== "");
      let message;
      if (state.announce !== null) message = state.announce;
      else if (n > 0) message = n + " " + (n === 1 ? texts.corner : texts.corners);
      else if (state.invalid) message = texts.invalid;
      else message = texts.hint;
      if (status.textContent !== message) status.textContent = message;
      status.classList.toggle("is-invalid", state.invalid && n === 0 && state.announce === null);
      container.classList.toggle("is-invalid", state.invalid);
      // A button that just got disabled loses focus: keep it in the toolbar.
      const active = document.activeElement;
      if (active && active.disabled && toolbar.contains(active)) {
        const next = [closeButton, undoButton, clearButton, zoomInButton].find((b) => !b.disabled);
        if (next) next.focus();
      }
    }

    function preview(fit) {
      if (!textarea) return;
      const parsed = parseArea(textarea.value);
      state.invalid = Boolean(parsed.invalid);
      state.area = parsed.geometry || null;
      if (state.area && fit) fitTo(state.area);
      redraw();
      update();
    }

    function writeArea(geometry) {
      const text = JSON.stringify(geometry);
      state.lastWritten = text;
      if (textarea) {
        textarea.value = text;
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }
      state.invalid = false;
      state.area = drawableGeometry(geometry, undefined);
    }

    function addCorner(x, y) {
      const p = projection(false);
      const lonlat = p.invert([x, y]);
      if (!lonlat || !isFinite(lonlat[0]) || !isFinite(lonlat[1]) || Math.abs(lonlat[1]) > 90) return;
      // Outside the globe the inverse does not round-trip.
      const back = p(lonlat);
      if (!back || Math.hypot(back[0] - x, back[1] - y) > 0.5) return;
      const corners = state.corners;
      if (corners.length >= 3) {
        const first = p(corners[0]);
        if (first && Math.hypot(first[0] - x, first[1] - y) <= CLOSE_HIT_PX) {
          closeArea();
          return;
        }
      }
      if (corners.length >= MAX_CORNERS) return;
      const corner = [round4(normaliseLon(lonlat[0])), round4(lonlat[1])];
      const last = corners[corners.length - 1];
      if (last && last[0] === corner[0] && last[1] === corner[1]) return; // a double click
      corners.push(corner);
      state.announce = null;
      redraw();
      update();
    }

    function closeArea() {
      const geometry = areaFromCorners(state.corners);
      if (!geometry) {
        state.announce = texts.invalid;
        update();
        return;
      }
      state.corners = [];
      state.announce = texts.closed;
      writeArea(geometry);
      redraw();
      update();
    }

    undoButton.addEventListener("click", () => {
      state.corners.pop();
      state.announce = null;
      redraw();
      update();
    });
    clearButton.addEventListener("click", () => {
      state.corners = [];
      state.announce = null;
      state.area = null;
      state.invalid = false;
      if (textarea && textarea.value !== "") {
        state.lastWritten = "";
        textarea.value = "";
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }
      redraw();
      update();
    });
    closeButton.addEventListener("click", closeArea);
    zoomInButton.addEventListener("click", () => zoomAt(2, state.width / 2, state.height / 2));
    zoomOutButton.addEventListener("click", () => zoomAt(0.5, state.width / 2, state.height / 2));

    // --- pointer: click adds a corner, drag pans ---------------------------------

    function toView(event) {
      const rect = svg.getBoundingClientRect();
      if (!rect.width || !rect.height) return null;
      return [
        ((event.clientX - rect.left) * state.width) / rect.width,
        ((event.clientY - rect.top) * state.height) / rect.height,
      ];
    }

    svg.addEventListener("pointerdown", (event) => {
      if (state.pointer !== null || !event.isPrimary || event.button !== 0) return;
      const at = toView(event);
      if (!at) return;
      if (event.pointerType === "mouse") event.preventDefault(); // no text selection while dragging
      state.pointer = {
        id: event.pointerId,
        x: at[0],
        y: at[1],
        lambda: state.lambda,
        offsetY: state.offsetY,
        perPixel: degreesPerPixel(),
        dragged: false,
      };
      try {
        svg.setPointerCapture(event.pointerId);
      } catch (_err) {
        // Not capturable (synthetic event): the drag still works inside the map.
      }
    });

    svg.addEventListener("pointermove", (event) => {
      const drag = state.pointer;
      if (!drag || event.pointerId !== drag.id) return;
      const at = toView(event);
      if (!at) return;
      const dx = at[0] - drag.x;
      const dy = at[1] - drag.y;
      if (!drag.dragged && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
      if (!drag.dragged) {
        drag.dragged = true;
        container.classList.add("is-dragging");
        svg.setAttribute("cursor", "move");
      }
      state.lambda = drag.lambda + dx * drag.perPixel;
      state.offsetY = drag.offsetY + dy / (state.baseScale * state.k);
      clampView();
      scheduleRedraw();
    });

    function endPointer(event, cancelled) {
      const drag = state.pointer;
      if (!drag || event.pointerId !== drag.id) return;
      state.pointer = null;
      container.classList.remove("is-dragging");
      svg.setAttribute("cursor", "crosshair");
      if (drag.dragged || cancelled) return;
      addCorner(drag.x, drag.y);
    }

    svg.addEventListener("pointerup", (event) => endPointer(event, false));
    svg.addEventListener("pointercancel", (event) => endPointer(event, true));
    svg.addEventListener("lostpointercapture", (event) => {
      // Capture lost without a pointerup (e.g. the window lost focus): no corner.
      if (state.pointer && event.pointerId === state.pointer.id) endPointer(event, true);
    });

    svg.addEventListener(
      "wheel",
      (event) => {
        const at = toView(event);
        if (!at) return;
        event.preventDefault();
        const unit = event.deltaMode === 1 ? 0.05 : event.deltaMode === 2 ? 1 : 0.002;
        const factor = Math.pow(2, -event.deltaY * unit);
        zoomAt(Math.min(4, Math.max(0.25, factor)), at[0], at[1]);
      },
      { passive: false },
    );

    // --- the textarea ------------------------------------------------------------

    if (textarea) {
      textarea.addEventListener("input", () => {
        if (state.inputTimer !== null) window.clearTimeout(state.inputTimer);
        state.inputTimer = window.setTimeout(() => {
          state.inputTimer = null;
          const own = textarea.value === state.lastWritten;
          if (!own) state.announce = null;
          preview(!own); // do not move the view under an area just drawn
        }, INPUT_DEBOUNCE_MS);
      });
    }

    // --- size, atlas ---------------------------------------------------------------

    update(); // the status line's text first: the map gets the height left over
    resize();
    if (textarea) preview(true);

    let observer = null;
    const onWindowResize = () => {
      if (container.isConnected) resize();
    };
    if (typeof window.ResizeObserver === "function") {
      let pending = null;
      observer = new window.ResizeObserver(() => {
        if (pending !== null) return;
        pending = window.requestAnimationFrame(() => {
          pending = null;
          if (container.isConnected) resize();
        });
      });
      observer.observe(container);
    } else {
      window.addEventListener("resize", onWindowResize);
    }

    const atlasUrl = container.getAttribute("data-atlas-url");
    if (atlasUrl) {
      container.setAttribute("aria-busy", "true");
      loadAtlas(atlasUrl)
        .then((atlas) => {
          state.atlas = atlas;
          redraw();
        })
        .catch((error) => {
          // Drawing still works on the graticule alone.
          if (window.console) window.console.warn("openline draw:", error);
        })
        .then(() => container.removeAttribute("aria-busy"));
    }

    return {
      container: container,
      corners: () => state.corners.map((c) => [c[0], c[1]]),
      close: closeArea,
      refresh: () => preview(true),
      detach: () => {
        if (observer) observer.disconnect();
        else window.removeEventListener("resize", onWindowResize);
        if (state.inputTimer !== null) window.clearTimeout(state.inputTimer);
      },
    };
  }

  function attach(div) {
    const container = typeof div === "string" ? document.querySelector(div) : div || document.getElementById("draw-map");
    if (!container) return null;
    const existing = widgets.get(container);
    if (existing) return existing;
    if (!hasLibraries()) {
      if (window.console) window.console.warn("openline draw: d3-geo or topojson-client not loaded");
      return null;
    }
    const widget = createWidget(container);
    widgets.set(container, widget);
    return widget;
  }

  function autoAttach() {
    for (const [container, widget] of Array.from(widgets.entries())) {
      if (!container.isConnected) {
        widget.detach();
        widgets.delete(container);
      }
    }
    const container = document.getElementById("draw-map");
    if (container) attach(container);
  }

  window.openlineDraw = { attach: attach, areaFromCorners: areaFromCorners, parseArea: parseArea };
  document.addEventListener("htmx:load", autoAttach);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", autoAttach);
  } else {
    autoAttach();
  }
})();

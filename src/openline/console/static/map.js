/*
 * openline console: map of activity areas and incidents.
 *
 * Plain ES2017 script: no modules, no build step, no network access beyond the
 * node itself. It needs the vendored globals `d3` (d3-array.min.js, then
 * d3-geo.min.js) and `topojson` (topojson-client.min.js), loaded before it.
 *
 * Contract with the page:
 *   <div id="map"
 *        data-atlas-url="/console/static/vendor/countries-110m.json"
 *        data-features-url="/console/map.json"
 *        data-error-text="Map data unavailable"        (optional)
 *        data-late-text="late"                         (optional, tooltip word)
 *        data-state-labels='{"overdue": "Overdue"}'    (optional, JSON)
 *        aria-label="..."></div>
 *
 * The features URL returns a GeoJSON FeatureCollection in degrees (lon, lat).
 * Properties: id, kind ("activity" | "incident"), title, sender, recipients[],
 * state, start, end, radius_nm, late. A Point with radius_nm is a circle area
 * (1 nautical mile = 1 arc-minute); a Point without one is an incident position.
 *
 * Selecting a feature (click, or Enter when focused) dispatches the CustomEvent
 * "openline:map-select" with detail {id} on the map element (it bubbles), and if
 * an element with id "feature-<id>" exists it is scrolled into view and gets the
 * class "selected".
 *
 * window.openlineMap = {draw(container), refresh()}.
 *
 * Only SVG presentation attributes and CSSOM properties are set (no inline
 * <style>, no style="" markup), so a strict Content-Security-Policy is fine and
 * page CSS can override any colour through the classes below:
 *   .map-sphere .map-graticule .map-land .map-borders .map-coast
 *   .map-feature .map-activity .map-incident .state-<state> .is-late .is-selected
 */
(function () {
  "use strict";

  const EARTH_RADIUS_KM = 6371.0088;
  const KM_PER_DEGREE = (EARTH_RADIUS_KM * Math.PI) / 180;
  // Never zoom closer than this span, so the coast and neighbours stay visible.
  const MIN_SPAN_KM = 1500;
  const DEFAULT_ERROR_TEXT = "Map data unavailable";
  const RESIZE_DEBOUNCE_MS = 200;
  const MARKER_SIZE = 10;

  // Base layers. Contrast of every feature colour below is at least 3:1 against
  // both the ocean and the land fill (WCAG 1.4.11, non-text contrast).
  const BASE = {
    ocean: "#eef3f7",
    sphereStroke: "#9aa7b1",
    graticule: "#d3dde4",
    land: "#dedad0",
    coast: "#a39e90",
    borders: "#ffffff",
  };

  // Stroke colour and dash pattern by state: colour is never the only cue.
  const STATE_STYLES = {
    acknowledged: { colour: "#0b5394", dash: null, width: 2 },
    "acknowledged-late": { colour: "#0b5394", dash: null, width: 2 },
    pending: { colour: "#875300", dash: "7 4", width: 2 },
    delivered: { colour: "#875300", dash: "7 4", width: 2 },
    overdue: { colour: "#a4155f", dash: "2 3", width: 2.5 },
  };
  const OTHER_STYLE = { colour: "#4d4d4d", dash: "10 3 2 3", width: 2 };
  // "late" (notice given later than required) overrides the colour; the dash
  // pattern still tells the state, and the area gets a hatched fill.
  const LATE_COLOUR = "#c43e00";

  let svgNamespace = null;
  let hatchCounter = 0;
  const maps = []; // one entry per drawn container
  const atlasCache = new Map(); // atlas URL -> Promise of prepared layers

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

  function el(name, attrs, parent) {
    const node = document.createElementNS(svgNS(), name);
    if (attrs) {
      for (const key of Object.keys(attrs)) {
        const value = attrs[key];
        if (value !== null && value !== undefined) node.setAttribute(key, String(value));
      }
    }
    if (parent) parent.appendChild(node);
    return node;
  }

  function styleFor(props) {
    const base = STATE_STYLES[props.state] || OTHER_STYLE;
    return {
      colour: props.late ? LATE_COLOUR : base.colour,
      dash: base.dash,
      width: props.late ? base.width + 0.5 : base.width,
    };
  }

  function cssToken(value) {
    return String(value || "unknown").toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
  }

  function readLabels(container) {
    let states = {};
    const raw = container.getAttribute("data-state-labels");
    if (raw) {
      try {
        const parsed = JSON.parse(raw);
        if (parsed && typeof parsed === "object") states = parsed;
      } catch (_err) {
        states = {};
      }
    }
    return {
      states: states,
      late: container.getAttribute("data-late-text") || "late",
      error: container.getAttribute("data-error-text") || DEFAULT_ERROR_TEXT,
    };
  }

  function formatTime(value) {
    if (value === null || value === undefined || value === "") return "…";
    // 2025-03-01T06:00:00Z -> 2025-03-01 06:00Z (keeps any offset as given).
    return String(value).replace("T", " ").replace(/(\d\d:\d\d):00(?=$|Z|[+-])/, "$1");
  }

  function describe(props, labels) {
    const recipients = Array.isArray(props.recipients) ? props.recipients.join(", ") : "";
    const state = labels.states[props.state] || props.state || "";
    const lines = [
      props.title || props.id || "",
      (props.sender || "") + " → " + recipients,
      formatTime(props.start) + " – " + formatTime(props.end),
      props.late ? state + " (" + labels.late + ")" : state,
    ];
    return lines.filter((line) => line.trim() !== "").join("\n");
  }

  // RFC 7946 says exterior rings run counter-clockwise, d3-geo wants clockwise
  // (it would fill the whole globe but the area). Flip any ring set that covers
  // more than a hemisphere.
  function rewindRings(rings) {
    const area = window.d3.geoArea({ type: "Polygon", coordinates: rings });
    if (area > 2 * Math.PI) return rings.map((ring) => ring.slice().reverse());
    return rings;
  }

  function rewind(geometry) {
    if (geometry.type === "Polygon") {
      return { type: "Polygon", coordinates: rewindRings(geometry.coordinates) };
    }
    return {
      type: "MultiPolygon",
      coordinates: geometry.coordinates.map((rings) => rewindRings(rings)),
    };
  }

  // Turn a feature into something drawable: an area (polygon on the sphere) or
  // a marker (incident position). Returns null for anything else.
  function shapeOf(feature) {
    const geometry = feature && feature.geometry;
    if (!geometry || !geometry.type) return null;
    const props = feature.properties || {};
    if (geometry.type === "Point") {
      const coords = geometry.coordinates;
      if (!Array.isArray(coords) || coords.length < 2) return null;
      const radiusNm = Number(props.radius_nm);
      if (props.radius_nm !== null && props.radius_nm !== undefined && radiusNm > 0) {
        const degrees = radiusNm / 60; // 1 nautical mile = 1 arc-minute
        const circle = window.d3
          .geoCircle()
          .center([Number(coords[0]), Number(coords[1])])
          .radius(degrees)
          .precision(Math.min(3, Math.max(0.5, degrees)))();
        return { type: "area", geometry: circle, props: props };
      }
      return { type: "marker", geometry: geometry, props: props };
    }
    if (geometry.type === "Polygon" || geometry.type === "MultiPolygon") {
      return { type: "area", geometry: rewind(geometry), props: props };
    }
    return null;
  }

  function normaliseLon(lon) {
    return ((((lon + 180) % 360) + 360) % 360) - 180;
  }

  function fitProjection(projection, shapes, width, height) {
    const margin = 4;
    const world = [
      [margin, margin],
      [width - margin, height - margin],
    ];
    if (shapes.length === 0) {
      projection.rotate([0, 0]).fitExtent(world, { type: "Sphere" });
      return;
    }
    const collection = {
      type: "FeatureCollection",
      features: shapes.map((shape) => ({ type: "Feature", properties: {}, geometry: shape.geometry })),
    };
    const bounds = window.d3.geoBounds(collection);
    const west = bounds[0][0];
    let east = bounds[1][0];
    if (east < west) east += 360; // the extent crosses the antimeridian
    const lon = normaliseLon((west + east) / 2);
    const lat = (bounds[0][1] + bounds[1][1]) / 2;
    // A context circle around the features' centre keeps at least MIN_SPAN_KM in
    // view; when the features are larger it is inside them and changes nothing.
    collection.features.push({
      type: "Feature",
      properties: {},
      geometry: window.d3
        .geoCircle()
        .center([lon, lat])
        .radius(MIN_SPAN_KM / 2 / KM_PER_DEGREE)(),
    });
    const pad = Math.round(Math.max(16, Math.min(width, height) * 0.08));
    projection.rotate([-lon, 0]);
    projection.fitExtent(world, { type: "Sphere" });
    const worldScale = projection.scale();
    projection.fitExtent(
      [
        [pad, pad],
        [width - pad, height - pad],
      ],
      collection,
    );
    // Features all over the globe: show the globe, not less than the globe.
    if (projection.scale() < worldScale) projection.fitExtent(world, { type: "Sphere" });
  }

  function loadJSON(url, noStore) {
    return fetch(url, {
      credentials: "same-origin",
      cache: noStore ? "no-store" : "default",
      headers: { Accept: "application/geo+json, application/json" },
    }).then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status + " for " + url);
      return response.json();
    });
  }

  function loadAtlas(url) {
    if (!atlasCache.has(url)) {
      const promise = loadJSON(url, false).then((atlas) => {
        const countries = atlas && atlas.objects && atlas.objects.countries;
        if (!countries) throw new Error("atlas has no countries object");
        return {
          land: window.topojson.feature(atlas, countries),
          borders: window.topojson.mesh(atlas, countries, (a, b) => a !== b),
          coast: window.topojson.mesh(atlas, countries, (a, b) => a === b),
        };
      });
      // Do not cache a failure: a later refresh may succeed.
      promise.catch(() => atlasCache.delete(url));
      atlasCache.set(url, promise);
    }
    return atlasCache.get(url);
  }

  function showError(state, error) {
    if (error && window.console) window.console.warn("openline map:", error);
    const container = state.container;
    container.textContent = readLabels(container).error;
    container.classList.add("map-error");
    state.size = null;
  }

  function setFocusLook(group, on) {
    const shape = group.querySelector(".map-shape");
    if (!shape) return;
    const base = Number(shape.getAttribute("data-base-width")) || 2;
    shape.setAttribute("stroke-width", String(on || group.classList.contains("is-selected") ? base + 1.5 : base));
    if (on) group.classList.add("is-focused");
    else group.classList.remove("is-focused");
  }

  function markSelected(state) {
    if (!state.svg) return;
    for (const group of state.svg.querySelectorAll(".map-feature")) {
      const selected = group.getAttribute("data-feature-id") === state.selectedId;
      group.classList.toggle("is-selected", selected);
      if (selected) group.setAttribute("aria-current", "true");
      else group.removeAttribute("aria-current");
      setFocusLook(group, group.classList.contains("is-focused"));
    }
  }

  function select(state, id) {
    state.selectedId = id;
    markSelected(state);
    state.container.dispatchEvent(
      new CustomEvent("openline:map-select", { detail: { id: id }, bubbles: true }),
    );
    for (const previous of state.highlighted) previous.classList.remove("selected");
    state.highlighted = [];
    const target = document.getElementById("feature-" + id);
    if (target) {
      target.classList.add("selected");
      state.highlighted.push(target);
      const reduce =
        window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      target.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "nearest" });
    }
  }

  function hatchPattern(defs, colour) {
    hatchCounter += 1;
    const id = "openline-map-hatch-" + hatchCounter;
    const pattern = el(
      "pattern",
      {
        id: id,
        width: 6,
        height: 6,
        patternUnits: "userSpaceOnUse",
        patternTransform: "rotate(45)",
      },
      defs,
    );
    el("rect", { width: 6, height: 6, fill: colour, "fill-opacity": 0.1 }, pattern);
    el("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: colour, "stroke-width": 1.5, "stroke-opacity": 0.55 }, pattern);
    return id;
  }

  function drawFeature(state, layer, shape, path, projection, hatchId, labels) {
    const props = shape.props;
    const id = props.id === null || props.id === undefined ? "" : String(props.id);
    const look = styleFor(props);
    const text = describe(props, labels);
    const kindClass = props.kind === "incident" ? "map-incident" : "map-activity";
    const group = el(
      "g",
      {
        class: ["map-feature", kindClass, "state-" + cssToken(props.state), props.late ? "is-late" : null]
          .filter(Boolean)
          .join(" "),
        tabindex: 0,
        role: "link",
        "aria-label": text.replace(/\n/g, "; "),
        "data-feature-id": id,
        cursor: "pointer",
      },
      layer,
    );
    el("title", null, group).textContent = text;

    if (shape.type === "area") {
      const d = path(shape.geometry);
      if (!d) {
        layer.removeChild(group);
        return;
      }
      el(
        "path",
        {
          class: "map-shape",
          d: d,
          fill: props.late ? "url(#" + hatchId + ")" : look.colour,
          "fill-opacity": props.late ? 1 : 0.18,
          stroke: look.colour,
          "stroke-width": look.width,
          "data-base-width": look.width,
          "stroke-dasharray": look.dash,
          "stroke-linecap": look.dash === "2 3" ? "round" : "butt",
          "stroke-linejoin": "round",
        },
        group,
      );
    } else {
      const point = projection(shape.geometry.coordinates);
      if (!point || !isFinite(point[0]) || !isFinite(point[1])) {
        layer.removeChild(group);
        return;
      }
      const x = point[0];
      const y = point[1];
      const s = MARKER_SIZE;
      const h = s * 0.5;
      // Diamond with a cross inside: an incident position, not an area.
      el(
        "path",
        {
          class: "map-shape",
          d: `M${x},${y - s}L${x + s},${y}L${x},${y + s}L${x - s},${y}Z`,
          fill: look.colour,
          stroke: "#ffffff",
          "stroke-width": 1.5,
          "data-base-width": 1.5,
          "stroke-linejoin": "round",
        },
        group,
      );
      el(
        "path",
        {
          class: "map-marker-cross",
          d: `M${x - h},${y}H${x + h}M${x},${y - h}V${y + h}`,
          fill: "none",
          stroke: "#ffffff",
          "stroke-width": 1.5,
          "stroke-linecap": "round",
        },
        group,
      );
      if (look.dash) {
        // Non-colour cue for the state: a dashed ring around the marker.
        el(
          "circle",
          {
            class: "map-marker-ring",
            cx: x,
            cy: y,
            r: s + 4,
            fill: "none",
            stroke: look.colour,
            "stroke-width": 1.5,
            "stroke-dasharray": look.dash === "2 3" ? "1.5 2.5" : "4 3",
            "stroke-linecap": "round",
          },
          group,
        );
      }
    }

    group.addEventListener("click", () => select(state, id));
    group.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        select(state, id);
      }
    });
    group.addEventListener("focus", () => setFocusLook(group, true));
    group.addEventListener("blur", () => setFocusLook(group, false));
  }

  // The container's own size, without the SVG drawn last time (which would
  // otherwise lend it its height). Without a height from the page's CSS, use about
  // the Equal Earth aspect ratio, roughly 2:1.
  function measure(state) {
    const container = state.container;
    const svg = state.svg && state.svg.parentNode === container ? state.svg : null;
    if (svg) svg.style.display = "none";
    const width = Math.max(200, Math.round(container.clientWidth || 960));
    const ownHeight = Math.round(container.clientHeight);
    if (svg) svg.style.display = "block";
    const fixedHeight = ownHeight >= 100;
    // Narrow screens get a squarer map, else the features would be a thin strip.
    const aspect = width < 640 ? 0.75 : 0.52;
    return {
      width: width,
      height: fixedHeight ? ownHeight : Math.round(width * aspect),
      fixedHeight: fixedHeight,
    };
  }

  function render(state) {
    const d3 = window.d3;
    const container = state.container;
    const labels = readLabels(container);
    const size = measure(state);
    const width = size.width;
    const height = size.height;
    const fixedHeight = size.fixedHeight;
    state.size = width + "x" + height;

    const shapes = [];
    const features = (state.features && state.features.features) || [];
    for (const feature of features) {
      const shape = shapeOf(feature);
      if (shape) shapes.push(shape);
    }
    // Larger areas first so smaller ones stay on top and clickable; markers last.
    for (const shape of shapes) {
      shape.order = shape.type === "marker" ? -1 : d3.geoArea(shape.geometry);
    }
    shapes.sort((a, b) => b.order - a.order);

    const projection = d3.geoEqualEarth();
    fitProjection(projection, shapes, width, height);
    const path = d3.geoPath(projection);

    const svg = el("svg", {
      class: "map-svg",
      viewBox: "0 0 " + width + " " + height,
      preserveAspectRatio: "xMidYMid meet",
      width: "100%",
      role: "group",
    });
    svg.style.display = "block";
    svg.style.width = "100%";
    svg.style.height = fixedHeight ? "100%" : "auto";
    svg.style.overflow = "hidden";
    const label = container.getAttribute("aria-label");
    if (label) svg.setAttribute("aria-label", label);

    const defs = el("defs", null, svg);
    const hatchId = hatchPattern(defs, LATE_COLOUR);
    const base = el("g", { class: "map-base", "aria-hidden": "true" }, svg);
    el("path", { class: "map-sphere", d: path({ type: "Sphere" }), fill: BASE.ocean }, base);
    el(
      "path",
      {
        class: "map-graticule",
        d: path(d3.geoGraticule10()),
        fill: "none",
        stroke: BASE.graticule,
        "stroke-width": 0.6,
      },
      base,
    );
    if (state.atlas) {
      el("path", { class: "map-land", d: path(state.atlas.land), fill: BASE.land }, base);
      el(
        "path",
        { class: "map-coast", d: path(state.atlas.coast), fill: "none", stroke: BASE.coast, "stroke-width": 0.6 },
        base,
      );
      el(
        "path",
        {
          class: "map-borders",
          d: path(state.atlas.borders),
          fill: "none",
          stroke: BASE.borders,
          "stroke-width": 0.8,
          "stroke-linejoin": "round",
        },
        base,
      );
    }
    el(
      "path",
      { class: "map-sphere-outline", d: path({ type: "Sphere" }), fill: "none", stroke: BASE.sphereStroke, "stroke-width": 1 },
      base,
    );

    const layer = el("g", { class: "map-features" }, svg);
    for (const shape of shapes) drawFeature(state, layer, shape, path, projection, hatchId, labels);

    container.classList.remove("map-error");
    container.textContent = "";
    container.appendChild(svg);
    state.svg = svg;
    markSelected(state);
  }

  function stateFor(container) {
    for (const state of maps) if (state.container === container) return state;
    const state = {
      container: container,
      atlas: null,
      features: null,
      svg: null,
      size: null,
      selectedId: null,
      highlighted: [],
      sequence: 0,
    };
    maps.push(state);
    return state;
  }

  // Fetch (atlas once, features every time) and draw. Returns a Promise.
  function load(state) {
    const container = state.container;
    state.sequence += 1;
    const sequence = state.sequence;
    if (!hasLibraries()) {
      showError(state, new Error("d3-geo or topojson-client not loaded"));
      return Promise.resolve();
    }
    const atlasUrl = container.getAttribute("data-atlas-url");
    const featuresUrl = container.getAttribute("data-features-url");
    if (!atlasUrl || !featuresUrl) {
      showError(state, new Error("data-atlas-url or data-features-url missing"));
      return Promise.resolve();
    }
    container.setAttribute("aria-busy", "true");
    return Promise.all([loadAtlas(atlasUrl), loadJSON(featuresUrl, true)])
      .then(([atlas, features]) => {
        if (sequence !== state.sequence) return; // a newer load superseded this one
        if (!features || !Array.isArray(features.features)) {
          throw new Error("features are not a GeoJSON FeatureCollection");
        }
        state.atlas = atlas;
        state.features = features;
        render(state);
        container.removeAttribute("aria-busy");
      })
      .catch((error) => {
        if (sequence !== state.sequence) return;
        showError(state, error);
        container.removeAttribute("aria-busy");
      });
  }

  function draw(container) {
    const target =
      typeof container === "string" ? document.querySelector(container) : container || document.getElementById("map");
    if (!target) return Promise.resolve();
    return load(stateFor(target));
  }

  function refresh() {
    // Forget maps whose element left the page (e.g. swapped out by htmx).
    for (let i = maps.length - 1; i >= 0; i -= 1) {
      if (!maps[i].container.isConnected) maps.splice(i, 1);
    }
    if (maps.length === 0) return draw();
    return Promise.all(maps.map((state) => load(state)));
  }

  let resizeTimer = null;
  function onResize() {
    if (resizeTimer !== null) window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      resizeTimer = null;
      for (const state of maps) {
        if (!state.container.isConnected || !state.atlas || !state.features) continue;
        const size = measure(state);
        if (state.size !== size.width + "x" + size.height) render(state);
      }
    }, RESIZE_DEBOUNCE_MS);
  }

  function autoDraw() {
    const container = document.getElementById("map");
    if (!container) return;
    for (const state of maps) if (state.container === container) return;
    draw(container);
  }

  window.openlineMap = { draw: draw, refresh: refresh };
  window.addEventListener("resize", onResize);
  // htmx may swap in a new #map element: draw it once it arrives.
  document.addEventListener("htmx:load", autoDraw);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", autoDraw);
  } else {
    autoDraw();
  }
})();

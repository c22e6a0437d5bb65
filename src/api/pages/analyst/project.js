// meldpunt analyst page of a monitoring project: sign in (the token stays in this tab's
// sessionStorage; a member signed in to the console gets one from the console instead), read GET /api/v1/projects/{id}/results, and show it as tables and a
// chart. Everything from the server is written with textContent, never as HTML.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var form = document.getElementById("login");
  var status = document.getElementById("status");
  var results = document.getElementById("results");
  var id = main.getAttribute("data-project");
  var nl = document.documentElement.lang !== "en";
  var t = nl ? {
    signIn: "Log in als analist om de resultaten te zien.", loading: "Resultaten worden opgehaald…",
    denied: "Inloggen is mislukt of u heeft geen analistenrechten.", failed: "De resultaten konden niet worden opgehaald: ",
    area: "Projectgebied", buurten: "buurten", units: "Nulmeting en vervolg per eenheid", window: "Periode",
    from: "van", to: "tot en met", received: "ontvangen", rate: "per maand (95%-interval)", change: "verandering t.o.v. nulmeting (95%-interval)",
    verdict: "oordeel", did: "Verschil in verschillen (project t.o.v. vergelijkingsgebied)", ratio: "verhouding (95%-interval)",
    chart: "Meldingen per maand met 95%-interval: project en vergelijkingsgebied", unit: { buurt: "buurt", project: "projectgebied", comparison: "vergelijkingsgebied" },
    hidden: "verborgen", method: "Methode", boundary: "Grensjaar", colours: [" (blauw)", " (oranje)"],
    baseline: "nulmeting", restOf: "rest van ",
    // The server's verdicts and method are English; known ones read in Dutch here, others as sent.
    verdicts: [
      [/^too few reports to conclude anything \(fewer than (\d+) in a window\)$/, "te weinig meldingen om iets te concluderen (minder dan $1 in een periode)"],
      [/^no rate to compare$/, "geen tempo om mee te vergelijken"],
      [/^the 95% interval includes no change: the data do not show an effect either way$/, "het 95%-interval omvat geen verandering: de gegevens tonen geen effect, in geen van beide richtingen"],
    ],
    methodText: "Per periode worden de meldingen opgeteld uit de statistieken (docs/statistics.md). Het tempo is het aantal ontvangen meldingen per maand, met een exact 95%-Poisson-interval. De verandering is de verhouding tussen het tempo in een vervolgperiode en in de nulmeting; het verschil in verschillen deelt die verhouding van het projectgebied door die van het vergelijkingsgebied, zodat een trend in de hele gemeente niet als effect van het project telt (1 = veranderd zoals het vergelijkingsgebied). Een getekend projectgebied telt elke melding waarvan de plek erin ligt, tegen de rest van de gemeenten die het overlapt. Met minder dan 10 meldingen in een periode, of een interval dat 'geen verandering' omvat, zegt het oordeel dat. De gegevens ondersteunen een besluit; ze nemen het niet. Zie docs/statistics.md#projects.",
  } : {
    signIn: "Sign in as an analyst to see the results.", loading: "Reading the results…",
    denied: "Signing in failed, or the account is not an analyst's.", failed: "The results could not be read: ",
    area: "Project area", buurten: "buurten", units: "Baseline and follow-up per unit", window: "Window",
    from: "from", to: "to", received: "received", rate: "per month (95% interval)", change: "change against baseline (95% interval)",
    verdict: "verdict", did: "Difference in differences (project against comparison)", ratio: "ratio (95% interval)",
    chart: "Reports per month with 95% interval: project and comparison", unit: { buurt: "buurt", project: "project area", comparison: "comparison areas" },
    hidden: "hidden", method: "Method", boundary: "Boundary year", colours: [" (blue)", " (orange)"],
    baseline: "baseline", restOf: "rest of ", verdicts: [], methodText: null,
  };
  function verdict(text) {
    var found = t.verdicts.filter(function (v) { return v[0].test(text || ""); })[0];
    return found ? String(text).replace(found[0], found[1]) : (text || "");
  }
  function label(text) { return text === "baseline" ? t.baseline : text; }
  function unitName(text) { return String(text || "").indexOf("rest of ") === 0 ? t.restOf + text.slice(8) : text; }

  function el(name, text, attributes) {
    var node = document.createElement(name);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    Object.keys(attributes || {}).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    return node;
  }
  function interval(x, value) {
    return x ? value(x) + " (" + x.lower + "–" + x.upper + ")" : "";
  }
  function table(caption, head, rows) {
    var wrap = el("div", null, { "class": "table-wrap", role: "region", tabindex: "0", "aria-label": caption });
    var tbl = el("table");
    tbl.appendChild(el("caption", caption));
    var tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", h, { scope: "col" })); });
    tbl.appendChild(el("thead")).appendChild(tr);
    var body = tbl.appendChild(el("tbody"));
    rows.forEach(function (row) {
      var r = el("tr");
      row.forEach(function (cell, i) { r.appendChild(el(i === 0 ? "th" : "td", cell, i === 0 ? { scope: "row" } : {})); });
      body.appendChild(r);
    });
    wrap.appendChild(tbl);
    return wrap;
  }
  function windows(unit) { return [unit.baseline].concat(unit.follow_up || []); }
  function chart(units) {
    var ns = "http://www.w3.org/2000/svg";
    var shown = units.filter(function (u) { return u.unit !== "buurt"; });
    var points = [];
    shown.forEach(function (u, s) {
      windows(u).forEach(function (w, i) { if (w.rate) { points.push({ s: s, i: i, w: w, u: u }); } });
    });
    var max = Math.max.apply(null, [1].concat(points.map(function (p) { return p.w.rate.upper; })));
    var n = Math.max.apply(null, [1].concat(shown.map(function (u) { return windows(u).length; })));
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 640 240");
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", t.chart);
    var colours = ["#08519c", "#a04000"];
    points.forEach(function (p) {
      var x = 60 + (p.i + 0.5) * (560 / n) + (p.s ? 12 : -12);
      var y = function (v) { return 220 - 200 * v / max; };
      var g = document.createElementNS(ns, "g");
      var line = document.createElementNS(ns, "line");
      [["x1", x], ["x2", x], ["y1", y(p.w.rate.lower)], ["y2", y(p.w.rate.upper)], ["stroke", colours[p.s % 2]], ["stroke-width", 2]]
        .forEach(function (a) { line.setAttribute(a[0], a[1]); });
      var dot = document.createElementNS(ns, "circle");
      [["cx", x], ["cy", y(p.w.rate.per_month)], ["r", 5], ["fill", colours[p.s % 2]]].forEach(function (a) { dot.setAttribute(a[0], a[1]); });
      var title = document.createElementNS(ns, "title");
      title.textContent = (t.unit[p.u.unit] || p.u.unit) + ", " + p.w.label + ": " + interval(p.w.rate, function (r) { return r.per_month; });
      g.appendChild(title); g.appendChild(line); g.appendChild(dot);
      svg.appendChild(g);
    });
    return svg;
  }
  function show(data) {
    results.textContent = "";
    status.textContent = "";
    document.querySelector("h1").textContent = data.project.name;
    var project = data.units.filter(function (u) { return u.unit === "project"; })[0];
    results.appendChild(el("h2", t.area));
    results.appendChild(el("p", (project ? project.buurten.length + " " + t.buurten + ": " + project.buurten.join(", ") : "") + " — " + t.boundary + " " + data.boundary_year));
    results.appendChild(el("h2", t.units));
    data.units.forEach(function (u) {
      var name = (t.unit[u.unit] || u.unit) + ": " + unitName(u.name) + (u.area_code ? " (" + u.area_code + ")" : "");
      results.appendChild(el("h3", name));
      results.appendChild(table(name, [t.window, t.from, t.to, t.received, t.rate, t.change, t.verdict], windows(u).map(function (w) {
        var received = w.figures && w.figures.received !== undefined && w.figures.received !== null ? w.figures.received : t.hidden;
        return [label(w.label), w.from, w.to, received, interval(w.rate, function (r) { return r.per_month; }), interval(w.change, function (r) { return r.ratio; }), verdict(w.verdict)];
      })));
    });
    results.appendChild(el("h2", t.chart));
    results.appendChild(chart(data.units));
    // The chart's legend and axis in words: windows left to right, project blue, comparison orange.
    var legend = el("ul", null, { "class": "legend" });
    data.units.filter(function (u) { return u.unit !== "buurt"; }).forEach(function (u, s) {
      legend.appendChild(el("li", "● " + (t.unit[u.unit] || u.unit) + t.colours[s % 2] + ": " + windows(u).map(function (w) { return label(w.label); }).join(", ")));
    });
    results.appendChild(legend);
    results.appendChild(el("h2", t.did));
    results.appendChild(table(t.did, [t.window, t.ratio, t.verdict], data.difference_in_differences.map(function (d) {
      return [label(d.label), interval(d.ratio, function (r) { return r.ratio; }), verdict(d.verdict)];
    })));
    results.appendChild(el("h2", t.method));
    results.appendChild(el("p", t.methodText || data.method));
    results.appendChild(el("p", data.attribution));
  }
  // Signed in to the console already? Then the console hands this page a token of an hour
  // (POST /console/analysis/token, same origin only), and no second sign-in is needed.
  function fromConsole() {
    status.textContent = t.loading;
    fetch("/console/analysis/token", {
      method: "POST",
      headers: { "X-Meldpunt-Console": "analysis", Accept: "application/json" },
      credentials: "same-origin",
      redirect: "manual",
    }).then(function (response) {
      if (!response.ok) { form.hidden = false; status.textContent = t.signIn; return; }
      return response.json().then(function (handed) {
        sessionStorage.setItem("meldpunt.token", handed.token);
        load(true);
      });
    }).catch(function () { form.hidden = false; status.textContent = t.signIn; });
  }
  function load(handed) {
    var token = sessionStorage.getItem("meldpunt.token");
    if (!token) {
      if (handed) { form.hidden = false; status.textContent = t.signIn; } else { fromConsole(); }
      return;
    }
    status.textContent = t.loading;
    fetch("/api/v1/projects/" + encodeURIComponent(id) + "/results", { headers: { Authorization: "Bearer " + token, Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          sessionStorage.removeItem("meldpunt.token");
          form.hidden = false;
          status.textContent = t.denied;
          return null;
        }
        if (!response.ok) {
          return response.json().then(function (p) { status.textContent = t.failed + (p.detail || p.title || response.status); return null; });
        }
        form.hidden = true;
        return response.json().then(show);
      })
      .catch(function (e) { status.textContent = t.failed + e; });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ email: form.email.value, password: form.password.value }),
    }).then(function (response) {
      if (!response.ok) { status.textContent = t.denied; return; }
      return response.json().then(function (login) {
        sessionStorage.setItem("meldpunt.token", login.token);
        form.password.value = "";
        load();
      });
    }).catch(function (e) { status.textContent = t.failed + e; });
  });
  load();
})();

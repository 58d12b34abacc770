// The answer browser of a judgebench HTML report: reads the JSON block, draws entries with
// textContent only (answers and rationales are never parsed as markup), and filters them.
(function () {
  "use strict";
  var PAGE = 40;
  var entries = JSON.parse(document.getElementById("jb-data").textContent);
  var box = document.getElementById("entries");
  var count = document.getElementById("browser-count");
  var more = document.getElementById("more");
  var filters = {
    model: document.getElementById("filter-model"),
    category: document.getElementById("filter-category"),
    turn: document.getElementById("filter-turn"),
    disagree: document.getElementById("filter-disagree")
  };
  var shown = PAGE;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function folded(summary, text) {
    var d = el("details");
    d.appendChild(el("summary", null, summary));
    d.appendChild(el("div", "text", text || "(empty)"));
    return d;
  }

  function gameBox(label, game) {
    var div = el("div", "game");
    if (!game) {
      div.appendChild(el("h4", null, label + ": missing"));
      return div;
    }
    var verdict = game.winner === null ? "no verdict (" + game.status + ")" : "winner: " + game.winner;
    div.appendChild(el("h4", null, label + " — " + verdict));
    div.appendChild(folded("rationale", game.text));
    return div;
  }

  function draw(entry, model) {
    var div = el("article", "entry" + (entry.disagree ? " disagree" : ""));
    div.setAttribute("data-qid", entry.qid);
    div.setAttribute("data-turn", entry.turn);
    var h = el("h3", null, "Question " + entry.qid + ", turn " + entry.turn);
    if (entry.category) { h.appendChild(el("span", "tag", entry.category)); }
    if (entry.disagree) { h.appendChild(el("span", "tag warn", "judges disagree")); }
    div.appendChild(h);
    if (entry.prompts.length) {
      if (entry.prompts.length > 1) { div.appendChild(folded("earlier user turns", entry.prompts.slice(0, -1).join("\n\n— next turn —\n\n"))); }
      div.appendChild(el("div", "text question", entry.prompts[entry.prompts.length - 1]));
    }
    if (entry.reference) { div.appendChild(folded("reference answer", entry.reference)); }
    entry.answers.forEach(function (a) {
      if (model && a.model !== model) { return; }
      var box = el("div", "answer");
      box.setAttribute("data-model", a.model);
      box.appendChild(el("h4", null, a.model));
      if (a.turns.length > 1) { box.appendChild(folded("earlier answers", a.turns.slice(0, -1).join("\n\n— next turn —\n\n"))); }
      box.appendChild(el("div", "text", a.turns[a.turns.length - 1]));
      entry.grades.forEach(function (g) {
        if (g.model !== a.model) { return; }
        var label = g.judge + ": " + (g.score === null ? "no grade (" + g.status + ")" : "grade " + g.score);
        box.appendChild(folded(label, g.text));
      });
      div.appendChild(box);
    });
    entry.grades.forEach(function (g) {  // grades of answers not in the answers files
      if ((model && g.model !== model) || entry.answers.some(function (a) { return a.model === g.model; })) { return; }
      var label = g.model + " — " + g.judge + ": " + (g.score === null ? "no grade (" + g.status + ")" : "grade " + g.score);
      div.appendChild(folded(label, g.text));
    });
    entry.pairs.forEach(function (p) {
      if (model && p.m1 !== model && p.m2 !== model) { return; }
      var box = el("div", "pair");
      var outcome = p.outcome === null ? "excluded (a game without a verdict)" : (p.outcome === "tie" ? "tie" : p.outcome + " wins");
      var h4 = el("h4", null, p.m1 + " vs " + p.m2 + " — " + p.judge + ": " + outcome);
      if (!p.consistent && p.g1 && p.g2) { h4.appendChild(el("span", "tag warn", "games disagree")); }
      box.appendChild(h4);
      var games = el("div", "games");
      games.appendChild(gameBox("game 1 (" + p.m1 + " shown first)", p.g1));
      games.appendChild(gameBox("game 2 (" + p.m2 + " shown first)", p.g2));
      box.appendChild(games);
      div.appendChild(box);
    });
    return div;
  }

  function matches(entry, f) {
    if (f.category && entry.category !== f.category) { return false; }
    if (f.turn && String(entry.turn) !== f.turn) { return false; }
    if (f.disagree && !entry.disagree) { return false; }
    if (f.model) {
      var has = function (x) { return x.model === f.model; };
      var inPair = function (p) { return p.m1 === f.model || p.m2 === f.model; };
      if (!entry.answers.some(has) && !entry.grades.some(has) && !entry.pairs.some(inPair)) { return false; }
    }
    return true;
  }

  function render() {
    var f = {
      model: filters.model.value,
      category: filters.category.value,
      turn: filters.turn.value,
      disagree: filters.disagree.checked
    };
    var hits = entries.filter(function (e) { return matches(e, f); });
    box.textContent = "";
    hits.slice(0, shown).forEach(function (e) { box.appendChild(draw(e, f.model)); });
    count.textContent = hits.length + " of " + entries.length + " entries" +
      (hits.length > shown ? " (showing the first " + shown + ")" : "");
    count.setAttribute("data-matching", String(hits.length));
    more.hidden = hits.length <= shown;
  }

  Object.keys(filters).forEach(function (k) {
    filters[k].addEventListener("change", function () { shown = PAGE; render(); });
  });
  more.addEventListener("click", function () { shown += PAGE; render(); });
  render();
}());

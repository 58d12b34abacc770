// The arena page: fetches battles, posts votes, shows text with textContent only.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var voter = window.localStorage.getItem("judgebench-voter");
  if (!voter || !/^[A-Za-z0-9_-]{1,64}$/.test(voter)) {
    var bytes = new Uint8Array(9);
    window.crypto.getRandomValues(bytes);
    voter = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    window.localStorage.setItem("judgebench-voter", voter);
  }
  $("voter").textContent = voter;
  var battle = null;

  function post(path, body) {
    body.voter = voter;
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
      .then(function (r) {
        return r.json().then(function (data) {
          if (!r.ok) { throw new Error(data.error || ("HTTP " + r.status)); }
          return data;
        });
      });
  }

  function fail(e) { $("error").textContent = String(e.message || e); }

  function show(view) {
    battle = view;
    $("error").textContent = "";
    $("battle").hidden = false;
    $("where").textContent = "Question " + view.question_id + " (" + view.category + "), turn " + view.turn + " of " + view.turns;
    $("prompt").textContent = view.prompt;
    $("answer-a").textContent = view.answer_a;
    $("answer-b").textContent = view.answer_b;
    $("vote-buttons").hidden = false;
    $("after-vote").hidden = true;
    $("reveal").hidden = true;
    $("reveal").textContent = "";
  }

  function reveal(names) {
    $("after-vote").hidden = true;
    $("reveal").hidden = false;
    $("reveal").textContent = "A was " + names.model_a + "; B was " + names.model_b + ".";
  }

  function start() { post("/api/battles", {}).then(show).catch(fail); }

  Array.prototype.forEach.call(document.querySelectorAll("#vote-buttons button"), function (button) {
    button.addEventListener("click", function () {
      post("/api/battles/" + encodeURIComponent(battle.battle) + "/votes",
           {turn: battle.turn, winner: button.getAttribute("data-winner")})
        .then(function (result) {
          $("vote-buttons").hidden = true;
          if (result.model_a) { reveal(result); } else { $("after-vote").hidden = false; }
        }).catch(fail);
    });
  });
  $("continue").addEventListener("click", function () {
    post("/api/battles/" + encodeURIComponent(battle.battle) + "/next", {}).then(show).catch(fail);
  });
  $("finish").addEventListener("click", function () {
    post("/api/battles/" + encodeURIComponent(battle.battle) + "/reveal", {}).then(reveal).catch(fail);
  });
  $("new").addEventListener("click", start);
  start();
}());

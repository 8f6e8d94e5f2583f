/*
 * Material's search worker, with one fix to the lunr it bundles.
 *
 * lunr (2.3.9) minimises its token set by keying each node on a string made of the node's edge
 * labels and child ids run together: `final + label + id + label + id ...`. With digit labels the
 * keys collide (label "1" to node 23 reads like label "1" to node 2 then label "3"), so distinct
 * nodes are merged and the token set spells words the index does not hold. A query that expands
 * to such a word, as any query starting with a digit can ("1", "19", "1995"), then fails with
 * "TypeError: Cannot read properties of undefined (reading '_index')" and finds nothing.
 *
 * The fix keys nodes with a separator after each id, which no label or id can imitate, before the
 * worker builds its index (it does so on its first message, after this script has run).
 */
;(function () {
  var worker = new URLSearchParams(self.location.search).get("worker") || ""
  if (!/^search\.[0-9a-f]+\.min\.js$/.test(worker)) {
    throw new Error("kb-search.js: unexpected worker name " + JSON.stringify(worker))
  }
  importScripts(worker)
  var proto = self.lunr.TokenSet.prototype
  proto.toString = function () {
    if (this._str) return this._str
    var str = this.final ? "1" : "0"
    var labels = Object.keys(this.edges).sort()
    for (var i = 0; i < labels.length; i++) {
      str += labels[i] + this.edges[labels[i]].id + ";"
    }
    this._str = str
    return str
  }
})()

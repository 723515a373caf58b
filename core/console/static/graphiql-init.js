// GraphiQL over this server's /graphql, with the console's session token when signed in.
(function () {
  "use strict";
  var token = null;
  try {
    var saved = JSON.parse(window.localStorage.getItem("doudi.session") || "null");
    if (saved && saved.token && (!saved.expiresAt || Date.parse(saved.expiresAt) > Date.now())) {
      token = saved.token;
    }
  } catch (e) { token = null; }
  var headers = token ? { Authorization: "Bearer " + token } : {};
  var fetcher = window.GraphiQL.createFetcher({ url: "/graphql", headers: headers });
  var root = window.ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(window.React.createElement(window.GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolsVisibility: true,
    defaultQuery: "{\n  policy(jurisdiction: \"640121\", asOf: \"2021-06-01\") {\n    parameter(path: \"dibao.phase_out.max_months\") {\n      value layer { code name level } source { title number section quote }\n    }\n  }\n}\n",
  }));
})();

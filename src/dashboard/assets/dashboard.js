// The dashboard page (served by the side-port as it is: no build step, no framework). It polls GET
// /dashboard/view once a second and draws what it answers; a panel stays hidden until its data exists.
// uPlot (window.uPlot) draws the time series; everything else is plain DOM, so a screen reader gets text.
(function () {
  'use strict';

  const POLL_MS = 1000;
  // Relative to the page (/dashboard), so the page also works behind a proxy that serves the side-port under a prefix.
  const VIEW_URL = 'dashboard/view';
  const PREDICT_URL = 'predict?explain=true';

  const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
  const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 });
  const probability = new Intl.NumberFormat('en', { minimumFractionDigits: 3, maximumFractionDigits: 3 });

  const $ = (id) => document.getElementById(id);
  const show = (el, visible) => {
    if (el.hidden === visible) el.hidden = !visible;
  };
  const ms = (value) => (value === null || value === undefined ? '–' : decimal.format(value) + ' ms');
  const ratio = (value) => (value === null || value === undefined ? '–' : percent.format(value));
  const fixed = (value, digits) => (value === null || value === undefined ? '–' : value.toFixed(digits));

  /** Sets a figure's text and its raw value (data-value: what the browser tests compare with /metrics). */
  function figure(id, value, text) {
    const el = $(id);
    el.dataset.value = value === null || value === undefined ? '' : String(value);
    el.textContent = text;
  }

  /** Replaces a table body's rows; each row is a list of [text, className?] cells. */
  function rows(id, data) {
    const body = $(id);
    const fragment = document.createDocumentFragment();
    for (const cells of data) {
      const tr = document.createElement('tr');
      for (const cell of cells) {
        const [text, className, header] = Array.isArray(cell) ? cell : [cell];
        const td = document.createElement(header ? 'th' : 'td');
        if (header) td.scope = 'row';
        if (className) td.className = className;
        td.textContent = text;
        tr.appendChild(td);
      }
      fragment.appendChild(tr);
    }
    body.replaceChildren(fragment);
  }

  // ---- charts -------------------------------------------------------------------------------------------------

  const charts = new Map();
  const PALETTE = ['#1f5fa8', '#0b7a3e', '#b3261e', '#6b4fa1'];

  function chart(id, title, seriesDefs, data) {
    const el = $(id);
    if (typeof window.uPlot !== 'function') return;
    let plot = charts.get(id);
    if (plot === undefined) {
      const width = Math.max(280, el.clientWidth);
      plot = new window.uPlot(
        {
          title,
          width,
          height: 220,
          scales: { x: { time: true } },
          axes: [{}, { size: 60 }],
          legend: { live: false },
          series: [
            {},
            ...seriesDefs.map((s, i) => ({
              label: s.label,
              stroke: PALETTE[i % PALETTE.length],
              width: 2,
              spanGaps: true,
              scale: s.scale || 'y',
            })),
          ],
        },
        data,
        el,
      );
      charts.set(id, plot);
      new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 })).observe(el);
    } else {
      plot.setData(data);
    }
  }

  // ---- panels -------------------------------------------------------------------------------------------------

  function header(view) {
    const badge = $('readiness');
    badge.textContent = view.readiness.ok ? 'ready' : 'not ready';
    badge.className = 'badge ' + (view.readiness.ok ? 'ok' : 'bad');
    const reasons = $('readiness-reasons');
    reasons.textContent = view.readiness.reasons.join('; ');
    show(reasons, !view.readiness.ok && view.readiness.reasons.length > 0);
    $('role').textContent = view.role;
    $('serving').textContent =
      'champion ' +
      view.serving.champion +
      ' · rollout revision ' +
      view.serving.revision +
      ' · threshold ' +
      view.serving.threshold;
    $('updated').textContent =
      'updated ' + new Date(view.generated_at).toLocaleTimeString() + ' · up ' + duration(view.uptime_seconds);
  }

  function duration(seconds) {
    if (seconds < 120) return seconds + ' s';
    if (seconds < 7200) return Math.round(seconds / 60) + ' min';
    return decimal.format(seconds / 3600) + ' h';
  }

  function lastOf(values) {
    for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
    return null;
  }

  function overview(view) {
    const stream = view.stream;
    for (const el of document.querySelectorAll('[data-panel="stream"]')) show(el, stream !== null);
    for (const el of document.querySelectorAll('[data-panel="http"]'))
      show(el, view.http !== null && view.stream === null);
    if (stream !== null) {
      figure('kpi-consumed', stream.consumed, integer.format(stream.consumed));
      figure('kpi-predicted', stream.predicted, integer.format(stream.predicted));
      figure('kpi-dead-lettered', stream.dead_lettered, integer.format(stream.dead_lettered));
      figure('kpi-lag', stream.lag_total, integer.format(stream.lag_total));
      figure('kpi-e2e-p99', stream.end_to_end_ms.p99, ms(stream.end_to_end_ms.p99));
    }
    if (view.http !== null) figure('kpi-http-requests', view.http.requests, integer.format(view.http.requests));
    figure('kpi-churn-rate', view.predictions.churn_rate, ratio(view.predictions.churn_rate));
  }

  function streamPanels(view) {
    const stream = view.stream;
    const h = view.history;
    show($('throughput'), stream !== null);
    show($('latency'), stream !== null);
    show($('lag'), stream !== null && stream.lag.length > 0);
    show($('dead-letters'), stream !== null && stream.dead_letters_by_reason.length > 0);
    if (stream === null) return;
    $('throughput-now').textContent =
      'Now: ' +
      decimal.format(lastOf(h.consumed_per_s) || 0) +
      ' consumed/s, ' +
      decimal.format(lastOf(h.predicted_per_s) || 0) +
      ' predictions/s, ' +
      decimal.format(lastOf(h.dead_letters_per_s) || 0) +
      ' dead letters/s.';
    chart(
      'throughput-chart',
      'records per second',
      [{ label: 'consumed' }, { label: 'predictions' }, { label: 'dead letters' }],
      [h.t, h.consumed_per_s, h.predicted_per_s, h.dead_letters_per_s],
    );
    const e2e = stream.end_to_end_ms;
    $('latency-now').textContent =
      'Event time to committed prediction, since start: p50 ' +
      ms(e2e.p50) +
      ', p90 ' +
      ms(e2e.p90) +
      ', p99 ' +
      ms(e2e.p99) +
      ' over ' +
      integer.format(e2e.count) +
      ' records. Last seconds: p99 ' +
      ms(lastOf(h.end_to_end_p99_ms)) +
      '.';
    chart(
      'latency-chart',
      'milliseconds (last 5 s)',
      [{ label: 'p50' }, { label: 'p99' }],
      [h.t, h.end_to_end_p50_ms, h.end_to_end_p99_ms],
    );
    const tx = stream.transactions;
    $('transactions-now').textContent =
      integer.format(tx.committed) +
      ' transactions committed, ' +
      (tx.mean_records === null ? '–' : decimal.format(tx.mean_records)) +
      ' records each on average, p99 ' +
      ms(tx.p99_ms) +
      ' from begin to commit; ' +
      stream.assigned_partitions +
      ' partitions assigned.';
    rows(
      'lag-rows',
      stream.lag.map((p) => [p.topic, [String(p.partition), 'num'], [integer.format(p.lag), 'num']]),
    );
    rows(
      'dead-letter-rows',
      stream.dead_letters_by_reason.map((r) => [r.reason, [integer.format(r.count), 'num']]),
    );
  }

  function httpPanel(view) {
    const http = view.http;
    show($('http'), http !== null && http.requests > 0);
    if (http === null) return;
    const h = view.history;
    $('http-now').textContent =
      integer.format(http.requests) +
      ' requests since start; p50 ' +
      ms(http.duration_ms.p50) +
      ', p99 ' +
      ms(http.duration_ms.p99) +
      '.';
    chart(
      'http-chart',
      'requests per second · p99 ms (last 5 s)',
      [{ label: 'requests/s' }, { label: 'p99 ms', scale: 'ms' }],
      [h.t, h.http_per_s, h.http_p99_ms],
    );
  }

  function scorePanels(view) {
    const riskiest = view.riskiest;
    show($('scores'), riskiest !== null && riskiest.tracked > 0);
    show($('riskiest'), riskiest !== null && riskiest.tracked > 0);
    if (riskiest === null || riskiest.tracked === 0) return;
    const most = Math.max(1, ...riskiest.histogram);
    const bars = $('score-bars');
    const fragment = document.createDocumentFragment();
    riskiest.histogram.forEach((count, i) => {
      const li = document.createElement('li');
      const from = (i / riskiest.histogram.length).toFixed(1);
      const to = ((i + 1) / riskiest.histogram.length).toFixed(1);
      li.style.setProperty('--share', String(count / most));
      li.className = i / riskiest.histogram.length >= view.serving.threshold ? 'churn' : '';
      li.setAttribute('aria-label', from + ' to ' + to + ': ' + count + ' customers');
      const bar = document.createElement('span');
      bar.className = 'bar';
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = from + '–' + to;
      const n = document.createElement('span');
      n.className = 'count';
      n.textContent = integer.format(count);
      li.append(bar, n, label);
      fragment.appendChild(li);
    });
    bars.replaceChildren(fragment);
    $('scores-now').textContent =
      'Latest probability of the ' +
      integer.format(riskiest.tracked) +
      ' customers seen (at most ' +
      integer.format(riskiest.capacity) +
      '); the model says churn from ' +
      view.serving.threshold +
      '. Churn rate of all predictions: ' +
      ratio(view.predictions.churn_rate) +
      '.';
    $('riskiest-now').textContent =
      integer.format(riskiest.riskiest) +
      ' customers in the riskiest quarter, from probability ' +
      fixed(riskiest.cutoff, 3) +
      ' up; the ' +
      riskiest.customers.length +
      ' riskiest:';
    rows(
      'riskiest-rows',
      riskiest.customers.map((c) => [
        [c.customerid, '', true],
        [probability.format(c.probability), 'num'],
        c.version + ' (' + c.variant + ')',
        c.reasons.map(reasonText).join('; ') || '–',
      ]),
    );
  }

  function reasonText(r) {
    const sign = r.contribution >= 0 ? '+' : '−';
    const value = r.feature.indexOf('=') >= 0 ? r.feature : r.feature + '=' + r.value;
    return value + ' (' + sign + Math.abs(r.contribution).toFixed(2) + ')';
  }

  function rolloutPanel(view) {
    const ex = view.experiments;
    const r = ex.rollout;
    const parts = ['champion ' + r.champion];
    for (const c of r.challengers) parts.push(c.kind + ' ' + c.version + ' ' + c.weight + ' %');
    for (const s of r.shadows) parts.push('shadow ' + s);
    $('rollout-now').textContent =
      'Revision ' + ex.revision + ': ' + parts.join(', ') + '.' + (ex.note ? ' ' + ex.note : '');
    const variants =
      ex.variants.length > 0
        ? ex.variants
        : [{ version: r.champion, variant: 'champion', count: 0, mean_score: null, churn_rate: null }];
    rows(
      'variant-rows',
      variants.map((v) => [
        [v.version, '', true],
        v.variant,
        [integer.format(v.count), 'num'],
        [fixed(v.mean_score, 3), 'num'],
        [ratio(v.churn_rate), 'num'],
      ]),
    );
    show($('shadows'), ex.shadows.length > 0);
    rows(
      'shadow-rows',
      ex.shadows.map((s) => [
        [s.version, '', true],
        [integer.format(s.events), 'num'],
        [ratio(s.agreement), 'num'],
        [fixed(s.mean_abs_delta, 3), 'num'],
        [fixed(s.psi, 3), 'num'],
        [fixed(s.riskiest_quartile_jaccard, 2), 'num'],
      ]),
    );
  }

  function realizedPanel(view) {
    const realized = view.realized;
    show($('realized'), realized !== null && realized.versions.length > 0);
    if (realized === null) return;
    rows(
      'realized-rows',
      realized.versions.map((v) => [
        [v.version, '', true],
        v.variant,
        [integer.format(v.n), 'num'],
        [fixed(v.auc, 3), 'num'],
        [ratio(v.precision_riskiest25), 'num'],
        [ratio(v.recall_riskiest25), 'num'],
      ]),
    );
  }

  function driftPanel(view) {
    const monitoring = view.monitoring;
    const versions =
      monitoring === null ? [] : monitoring.versions.filter((v) => v.current !== null || v.last_closed !== null);
    show($('drift'), versions.length > 0);
    if (versions.length === 0) return;
    const threshold = monitoring.thresholds.psi;
    const data = [];
    let alerts = 0;
    for (const v of versions) {
      const summary = v.last_closed || v.current;
      alerts += v.alerts.length;
      const ranked = summary.features
        .filter((f) => f.psi !== null)
        .sort((a, b) => b.psi - a.psi)
        .slice(0, 5);
      for (const f of ranked)
        data.push([
          [v.version, '', true],
          f.feature,
          [f.psi.toFixed(3), 'num'],
          f.psi > threshold ? 'drift' : f.psi > threshold / 2 ? 'watch' : 'stable',
        ]);
      if (summary.score_psi !== null)
        data.push([
          [v.version, '', true],
          'score',
          [summary.score_psi.toFixed(3), 'num'],
          summary.score_drift ? 'drift' : 'stable',
        ]);
    }
    $('drift-now').textContent =
      (alerts === 0 ? 'No drift alert' : alerts + ' drift alert(s)') +
      ' in the last closed windows; PSI threshold ' +
      threshold +
      '. Largest PSI per version:';
    rows('drift-rows', data);
  }

  // ---- polling ------------------------------------------------------------------------------------------------

  let failures = 0;
  async function poll() {
    try {
      const response = await fetch(VIEW_URL, {
        cache: 'no-store',
        credentials: 'same-origin',
        headers: { accept: 'application/json' },
      });
      if (response.status === 401) {
        offline('the session has ended: open the dashboard again with ?token=…');
        return; // no more polling: a reload with the token starts again
      }
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const view = await response.json();
      failures = 0;
      // when the figures on screen were taken (the browser tests bracket it with two /metrics scrapes)
      document.body.dataset.generatedAt = view.generated_at;
      header(view);
      overview(view);
      streamPanels(view);
      httpPanel(view);
      scorePanels(view);
      rolloutPanel(view);
      realizedPanel(view);
      driftPanel(view);
    } catch (err) {
      failures++;
      offline('cannot reach the side-port (' + (err && err.message ? err.message : err) + '); retrying');
    }
    setTimeout(poll, failures === 0 ? POLL_MS : Math.min(10000, POLL_MS * 2 ** failures));
  }

  function offline(message) {
    const badge = $('readiness');
    badge.textContent = 'disconnected';
    badge.className = 'badge bad';
    const reasons = $('readiness-reasons');
    reasons.textContent = message;
    show(reasons, true);
  }

  // ---- score one customer -------------------------------------------------------------------------------------

  function customerOf(form) {
    const customer = {};
    for (const el of form.elements) {
      if (!el.name) continue;
      const kind = el.dataset.kind;
      customer[el.name] = kind === 'category' ? el.value : el.value === '' ? null : Number(el.value);
    }
    return customer;
  }

  async function scoreOne(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const result = $('score-result');
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    result.hidden = false;
    result.className = '';
    result.textContent = 'Scoring…';
    try {
      const response = await fetch(PREDICT_URL, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(customerOf(form)),
      });
      const body = await response.json();
      if (!response.ok) {
        result.className = 'error';
        const fields = (body.fields || []).map((d) => d.field + ' ' + d.message);
        for (const d of body.fields || []) {
          const el = form.elements.namedItem(String(d.field));
          if (el && el.setAttribute) el.setAttribute('aria-invalid', 'true');
        }
        result.textContent =
          (body.message || 'HTTP ' + response.status) + (fields.length ? ': ' + fields.join('; ') : '');
        return;
      }
      renderScore(result, body);
    } catch (err) {
      result.className = 'error';
      result.textContent = 'Could not score: ' + (err && err.message ? err.message : err);
    }
  }

  function renderScore(result, body) {
    result.className = body.churn ? 'churn' : 'no-churn';
    const headline = document.createElement('p');
    headline.className = 'headline';
    headline.id = 'score-probability';
    headline.dataset.value = String(body.churn_probability);
    headline.textContent =
      'Churn probability ' +
      probability.format(body.churn_probability) +
      ': ' +
      (body.churn ? 'likely to leave' : 'likely to stay') +
      ' (model ' +
      body.model_version +
      (body.variant ? ', ' + body.variant : '') +
      ').';
    const list = document.createElement('ol');
    list.id = 'score-reasons';
    const contributions = (body.explanation && body.explanation.contributions) || [];
    for (const c of contributions.slice(0, 5)) {
      const li = document.createElement('li');
      li.textContent = reasonText(c) + (c.contribution >= 0 ? ' pushes towards leaving' : ' pushes towards staying');
      list.appendChild(li);
    }
    const caption = document.createElement('p');
    caption.textContent = 'Why, largest effects first (contribution to the log-odds):';
    const warnings = document.createElement('p');
    warnings.textContent = (body.warnings || []).join('; ');
    result.replaceChildren(headline, caption, list, warnings);
  }

  window.addEventListener('DOMContentLoaded', () => {
    $('customer-form').addEventListener('submit', scoreOne);
    void poll();
  });
})();

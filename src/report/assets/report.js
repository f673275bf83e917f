// grantscope report: draws the page from the JSON embedded in #report-data. Every text that comes from
// the data is inserted as a text node (textContent), never parsed as HTML; links are built only from
// https URLs the generator already checked. No network, no framework.
(() => {
  const DATA = JSON.parse(document.getElementById('report-data').textContent);
  const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
  const TIERS = ['critical', 'high', 'medium', 'low', 'unknown'];
  const SVG = 'http://www.w3.org/2000/svg';
  const COLORS = {
    critical: '#8b0d1a',
    high: '#d4351c',
    medium: '#e08a00',
    low: '#2f6fb3',
    info: '#6b7280',
    opened: '#d4351c',
    resolved: '#1f7a3e',
    open: '#2f6fb3',
  };

  /** An element with attributes and children; strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') node.textContent = String(v);
      else if (k === 'onclick' || k === 'onchange' || k === 'oninput') node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      node.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    return node;
  }

  const day = (iso) => (iso ? String(iso).slice(0, 10) : '—');
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many || `${one}s`}`;
  const sum = (record) => Object.values(record).reduce((a, b) => a + b, 0);

  function table(headers, rows, testid) {
    return el(
      'table',
      { 'data-testid': testid },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          headers.map((h) => el('th', { class: h.num ? 'num' : null, text: h.label })),
        ),
      ),
      el(
        'tbody',
        {},
        rows.length
          ? rows.map((r) =>
              el(
                'tr',
                {},
                r.map((c, i) => el('td', { class: headers[i].num ? 'num' : null }, c)),
              ),
            )
          : el('tr', { class: 'empty' }, el('td', { colspan: headers.length, class: 'muted', text: 'none' })),
      ),
    );
  }

  function identityLink(n) {
    const identity = DATA.identities[n];
    return el('a', { href: `#identity/${n}`, text: identity.name });
  }

  // ---- charts (inline SVG) -------------------------------------------------------------------------

  /** Horizontal bars, one per [label, value, color]. */
  function barChart(title, bars, testid) {
    const width = 360;
    const rowH = 24;
    const max = Math.max(1, ...bars.map((b) => b[1]));
    const chart = svg('svg', {
      width,
      height: bars.length * rowH + 10,
      role: 'img',
      'aria-label': title,
      'data-testid': testid,
    });
    bars.forEach(([label, value, color], i) => {
      const y = i * rowH + 4;
      const w = Math.round((value / max) * (width - 170));
      chart.append(
        svg('text', { x: 0, y: y + 14 }, label),
        svg('rect', { x: 120, y, width: Math.max(w, value > 0 ? 2 : 0), height: rowH - 8, fill: color }),
        svg('text', { x: 126 + w, y: y + 14, 'data-value': value }, String(value)),
      );
    });
    return el('div', { class: 'chart' }, el('h3', { text: title }), chart);
  }

  /** Stacked bars: one per platform, segments by severity. */
  function platformChart() {
    const platforms = Object.keys(DATA.summary.byPlatform);
    const width = 420;
    const rowH = 26;
    const max = Math.max(1, ...platforms.map((p) => sum(DATA.summary.byPlatform[p])));
    const chart = svg('svg', {
      width,
      height: Math.max(1, platforms.length) * rowH + 10,
      role: 'img',
      'aria-label': 'Findings by platform and severity',
      'data-testid': 'chart-platform',
    });
    platforms.forEach((p, i) => {
      const y = i * rowH + 4;
      let x = 140;
      chart.append(svg('text', { x: 0, y: y + 14 }, p));
      for (const s of SEVERITIES) {
        const n = DATA.summary.byPlatform[p][s];
        if (!n) continue;
        const w = Math.max(2, Math.round((n / max) * (width - 190)));
        chart.append(
          svg(
            'rect',
            { x, y, width: w, height: rowH - 8, fill: COLORS[s] },
            svg('title', {}, `${p}: ${n} ${s}`),
          ),
        );
        x += w;
      }
      chart.append(svg('text', { x: x + 6, y: y + 14 }, String(sum(DATA.summary.byPlatform[p]))));
    });
    const legend = el(
      'div',
      { class: 'legend' },
      SEVERITIES.map((s) => el('span', { class: `sev-${s}`, text: `■ ${s}  ` })),
    );
    return el('div', { class: 'chart' }, el('h3', { text: 'Findings by platform' }), chart, legend);
  }

  /** New, resolved and open findings per scan. */
  function trendChart() {
    const points = DATA.trend;
    const width = 520;
    const height = 180;
    const left = 36;
    const bottom = 30;
    const max = Math.max(1, ...points.map((p) => Math.max(p.open, p.opened, p.resolved)));
    const step = (width - left - 10) / Math.max(1, points.length);
    const y = (v) => height - bottom - (v / max) * (height - bottom - 12);
    const chart = svg('svg', {
      width,
      height,
      role: 'img',
      'aria-label': 'Findings across scans',
      'data-testid': 'chart-trend',
    });
    chart.append(svg('line', { x1: left, y1: y(0), x2: width, y2: y(0), stroke: '#999' }));
    chart.append(svg('text', { x: 0, y: y(max) + 4 }, String(max)));
    const line = [];
    points.forEach((p, i) => {
      const x = left + i * step;
      const bw = Math.max(3, step / 4);
      chart.append(
        svg(
          'rect',
          { x: x + 4, y: y(p.opened), width: bw, height: y(0) - y(p.opened), fill: COLORS.opened },
          svg('title', {}, `scan #${p.scanId}: ${p.opened} new`),
        ),
        svg(
          'rect',
          { x: x + 4 + bw, y: y(p.resolved), width: bw, height: y(0) - y(p.resolved), fill: COLORS.resolved },
          svg('title', {}, `scan #${p.scanId}: ${p.resolved} resolved`),
        ),
        svg('text', { x: x + 4, y: height - 10 }, `#${p.scanId}`),
      );
      line.push(`${x + 4 + bw},${y(p.open)}`);
    });
    chart.append(
      svg('polyline', { points: line.join(' '), fill: 'none', stroke: COLORS.open, 'stroke-width': 2 }),
    );
    points.forEach((p, i) => {
      chart.append(
        svg(
          'circle',
          { cx: left + i * step + 4 + Math.max(3, step / 4), cy: y(p.open), r: 3, fill: COLORS.open },
          svg('title', {}, `scan #${p.scanId}: ${p.open} open`),
        ),
      );
    });
    return el(
      'div',
      { class: 'chart' },
      el('h3', { text: 'Trend across scans' }),
      chart,
      el(
        'div',
        { class: 'legend' },
        el('span', { class: 'sev-high', text: '■ new  ' }),
        el('span', { class: 'ok', text: '■ resolved  ' }),
        el('span', { class: 'sev-low', text: '● open' }),
      ),
    );
  }

  // ---- views ---------------------------------------------------------------------------------------

  function summaryView() {
    const s = DATA.summary;
    const cards = el(
      'div',
      { class: 'cards', 'data-testid': 'severity-counts' },
      el(
        'div',
        { class: 'card' },
        el('span', { class: 'n', 'data-testid': 'count-total', text: s.findings }),
        el('span', { class: 'l', text: 'findings' }),
      ),
      SEVERITIES.map((sev) =>
        el(
          'div',
          { class: 'card' },
          el('span', { class: `n sev-${sev}`, 'data-testid': `count-${sev}`, text: s.bySeverity[sev] }),
          el('span', { class: 'l', text: sev }),
        ),
      ),
      el(
        'div',
        { class: 'card' },
        el('span', { class: 'n', 'data-testid': 'count-excepted', text: s.excepted }),
        el('span', { class: 'l', text: 'accepted by exception' }),
      ),
    );
    const inventory = el('p', {
      'data-testid': 'inventory-counts',
      text: `${plural(s.identities, 'identity', 'identities')}, ${plural(s.grants, 'grant')}, ${plural(s.credentials, 'credential')} in ${DATA.scans ? 'the newest scan of each source' : `snapshot #${DATA.scan.id}`} (${DATA.scan.status}).`,
    });
    // A round (one scan per tenant): which scan each tenant was read from, and any far behind the newest.
    const scansRead = DATA.scans
      ? el(
          'div',
          { 'data-testid': 'scans-read' },
          el('p', {
            text: `Read from ${plural(new Set(DATA.scans.sources.map((x) => x.scanId)).size, 'scan')}, the newest scan of each of ${plural(DATA.scans.sources.length, 'source')}: ${DATA.scans.sources.map((x) => `${x.source} #${x.scanId} (${x.startedAt.slice(0, 10)})`).join(', ')}.`,
          }),
          DATA.scans.stale.length
            ? el(
                'div',
                { class: 'warn', 'data-testid': 'stale-sources' },
                el('strong', { text: 'Out of date: ' }),
                DATA.scans.stale
                  .map((x) => `${x.source} (scan #${x.scanId}, ${x.daysBehind} days older than the newest)`)
                  .join('; '),
                '.',
              )
            : null,
        )
      : null;
    const incomplete = DATA.incomplete.length
      ? el(
          'div',
          { class: 'warn', 'data-testid': 'incomplete' },
          el('strong', { text: 'Incomplete collectors: ' }),
          DATA.incomplete.join('; '),
          '. Their previous records were kept; nothing they own is reported as removed.',
        )
      : el('p', { class: 'ok', 'data-testid': 'incomplete', text: 'Every collector completed.' });
    const platforms = Object.keys(s.byPlatform);
    return [
      el('h2', { text: 'Executive summary' }),
      cards,
      inventory,
      scansRead,
      incomplete,
      el(
        'div',
        { class: 'charts' },
        barChart(
          'Findings by severity',
          SEVERITIES.map((sev) => [sev, s.bySeverity[sev], COLORS[sev]]),
          'chart-severity',
        ),
        platformChart(),
        trendChart(),
      ),
      el('h3', { text: 'By platform' }),
      table(
        [
          { label: 'Platform' },
          ...SEVERITIES.map((sev) => ({ label: sev, num: true })),
          { label: 'Total', num: true },
        ],
        platforms.map((p) => [
          p,
          ...SEVERITIES.map((sev) => String(s.byPlatform[p][sev])),
          String(sum(s.byPlatform[p])),
        ]),
        'by-platform',
      ),
      el('h3', { text: 'By rule' }),
      table(
        [{ label: 'Rule' }, { label: 'Findings', num: true }],
        Object.entries(s.byRule).map(([r, n]) => [r, String(n)]),
        'by-rule',
      ),
      el('h3', { text: 'Coverage' }),
      table(
        [
          { label: 'Source' },
          { label: 'Collector' },
          { label: 'Status' },
          { label: 'Items', num: true },
          { label: 'Requests', num: true },
          { label: 'Detail' },
        ],
        DATA.coverage.map((c) => [
          c.source,
          c.collector,
          c.status,
          String(c.items),
          String(c.requests),
          c.detail,
        ]),
        'coverage',
      ),
    ];
  }

  const ownerNames = (i) => i.owners.map((o) => `${o.name}${o.active === false ? ' (left)' : ''}`).join(', ');
  const INVENTORY_COLUMNS = [
    { key: 'name', label: 'Name', value: (i) => i.name },
    { key: 'platform', label: 'Platform', value: (i) => i.platform },
    { key: 'kind', label: 'Kind', value: (i) => i.kind },
    { key: 'origin', label: 'Origin', value: (i) => i.origin },
    { key: 'owner', label: 'Owners', value: (i) => ownerNames(i) || '—' },
    { key: 'risk', label: 'Risk tier', value: (i) => i.riskTier, order: (i) => TIERS.indexOf(i.riskTier) },
    {
      key: 'findings',
      label: 'Findings',
      value: (i) => String(i.findings.length),
      order: (i) => i.findings.length,
      num: true,
    },
    {
      key: 'worst',
      label: 'Worst',
      value: (i) => i.worstSeverity || '—',
      order: (i) => (i.worstSeverity ? SEVERITIES.indexOf(i.worstSeverity) : 9),
    },
  ];
  const inventoryState = { sort: 'name', dir: 1, filters: {} };

  function options(values) {
    return [
      el('option', { value: '', text: 'all' }),
      ...values.map((v) => el('option', { value: v, text: v })),
    ];
  }
  const distinct = (f) => [...new Set(DATA.identities.flatMap(f))].sort();

  const FILTERS = [
    {
      key: 'platform',
      label: 'Platform',
      values: () => distinct((i) => [i.platform]),
      test: (i, v) => i.platform === v,
    },
    { key: 'kind', label: 'Kind', values: () => distinct((i) => [i.kind]), test: (i, v) => i.kind === v },
    {
      key: 'origin',
      label: 'Origin',
      values: () => distinct((i) => [i.origin]),
      test: (i, v) => i.origin === v,
    },
    {
      key: 'owner',
      label: 'Owner',
      values: () => ['(no active owner)', ...distinct((i) => i.owners.map((o) => o.name))],
      test: (i, v) => (v === '(no active owner)' ? !i.owned : i.owners.some((o) => o.name === v)),
    },
    {
      key: 'risk',
      label: 'Risk tier',
      values: () => TIERS.filter((t) => DATA.identities.some((i) => i.riskTier === t)),
      test: (i, v) => i.riskTier === v,
    },
    {
      key: 'finding',
      label: 'Finding',
      values: () => ['(any)', '(none)', ...distinct((i) => i.findings.map((n) => DATA.findings[n].rule))],
      test: (i, v) =>
        v === '(any)'
          ? i.findings.length > 0
          : v === '(none)'
            ? i.findings.length === 0
            : i.findings.some((n) => DATA.findings[n].rule === v),
    },
  ];

  function inventoryRows() {
    const col = INVENTORY_COLUMNS.find((c) => c.key === inventoryState.sort);
    const key = col.order || col.value;
    return DATA.identities
      .map((identity, n) => ({ identity, n }))
      .filter(({ identity }) =>
        FILTERS.every(
          (f) => !inventoryState.filters[f.key] || f.test(identity, inventoryState.filters[f.key]),
        ),
      )
      .sort((a, b) => {
        const x = key(a.identity);
        const y = key(b.identity);
        return (x < y ? -1 : x > y ? 1 : a.n - b.n) * inventoryState.dir;
      });
  }

  function inventoryView() {
    const body = el('tbody', {});
    const shown = el('p', { class: 'muted', 'data-testid': 'inventory-shown' });
    const head = el('tr', {});
    function draw() {
      const rows = inventoryRows();
      body.replaceChildren(
        ...rows.map(({ identity, n }) =>
          el(
            'tr',
            { 'data-identity': n },
            INVENTORY_COLUMNS.map((c, i) =>
              el('td', { class: c.num ? 'num' : null }, i === 0 ? identityLink(n) : c.value(identity)),
            ),
          ),
        ),
      );
      shown.textContent = `${rows.length} of ${DATA.identities.length} identities shown`;
      for (const th of head.children)
        th.setAttribute(
          'aria-sort',
          th.dataset.key === inventoryState.sort
            ? inventoryState.dir === 1
              ? 'ascending'
              : 'descending'
            : 'none',
        );
    }
    for (const c of INVENTORY_COLUMNS) {
      head.append(
        el('th', {
          class: `sortable${c.num ? ' num' : ''}`,
          'data-key': c.key,
          text: c.label,
          onclick: () => {
            inventoryState.dir = inventoryState.sort === c.key ? -inventoryState.dir : 1;
            inventoryState.sort = c.key;
            draw();
          },
        }),
      );
    }
    const filters = el(
      'div',
      { class: 'filters' },
      FILTERS.map((f) =>
        el(
          'label',
          {},
          f.label,
          el(
            'select',
            {
              name: f.key,
              'data-filter': f.key,
              onchange: (e) => {
                inventoryState.filters[f.key] = e.target.value;
                draw();
              },
            },
            options(f.values()),
          ),
        ),
      ),
    );
    draw();
    return [
      el('h2', { text: 'Inventory' }),
      filters,
      shown,
      el('table', { 'data-testid': 'inventory' }, el('thead', {}, head), body),
    ];
  }

  function findingsTable(indexes, testid) {
    return table(
      [
        { label: 'Severity' },
        { label: 'Rule' },
        { label: 'Identity' },
        { label: 'Title' },
        { label: 'First seen' },
      ],
      indexes.map((n) => {
        const f = DATA.findings[n];
        return [
          el('span', {
            class: `sev-${f.severity}`,
            text: f.excepted ? `${f.severity} (excepted)` : f.severity,
          }),
          f.rule,
          f.identity === null ? f.identityName : identityLink(f.identity),
          f.title,
          day(f.firstSeen),
        ];
      }),
      testid,
    );
  }

  function findingsView() {
    return [
      el('h2', { text: 'Findings' }),
      el('p', {
        class: 'muted',
        text: `${DATA.summary.findings} findings, ${DATA.summary.excepted} more accepted by an exception (marked).`,
      }),
      findingsTable(
        DATA.findings.map((_, n) => n),
        'findings',
      ),
    ];
  }

  function facts(pairs) {
    return el(
      'dl',
      { class: 'facts' },
      pairs.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]),
    );
  }

  function identityView(n) {
    const i = DATA.identities[n];
    if (!i) return [el('h2', { text: 'No such identity' })];
    const revoke = i.manageUrl
      ? el('a', {
          class: 'revoke',
          href: i.manageUrl,
          rel: 'noreferrer noopener',
          target: '_blank',
          'data-testid': 'revoke',
          text: 'Revoke here',
        })
      : el('span', { class: 'muted', text: 'The platform gives no page to revoke it.' });
    return [
      el('p', {}, el('a', { href: '#inventory', text: '← Inventory' })),
      el('h2', { 'data-testid': 'identity-name', text: i.name }),
      facts([
        ['Platform / tenant', `${i.platform} / ${i.tenant}`],
        ['Kind', i.kind],
        ['Id', i.nativeId],
        ['Origin', i.origin],
        ['Publisher', i.publisher ? `${i.publisher}${i.publisherVerified ? ' (verified)' : ''}` : '—'],
        ['Created', day(i.createdAt)],
        ['Last used', i.lastUsed === null ? 'no signal' : i.lastUsed === 'never' ? 'never' : day(i.lastUsed)],
        ['Risk tier', i.riskTier],
        [
          'Owners',
          i.owners.length
            ? i.owners.map((o) => `${o.name} (${o.source}${o.active === false ? ', left' : ''})`).join(', ')
            : 'none',
        ],
        [
          'Approval',
          i.approval
            ? `${i.approval.approver}, ${day(i.approval.date)}${i.approval.reference ? `, ${i.approval.reference}` : ''}`
            : 'none recorded',
        ],
        [
          'Exception',
          i.exceptions.length
            ? i.exceptions
                .map((e) => `${e.rule || 'all rules'}: ${e.reason} (${e.approver}, until ${day(e.expires)})`)
                .join('; ')
            : 'none',
        ],
        [
          'Retired',
          i.retired ? `${day(i.retired.date)}${i.retired.reference ? `, ${i.retired.reference}` : ''}` : 'no',
        ],
        ['Revoke', revoke],
      ]),
      el('h3', { text: 'Findings' }),
      i.findings.length
        ? findingsTable(i.findings, 'identity-findings')
        : el('p', { class: 'ok', text: 'No findings.' }),
      el('h3', { text: 'Grants' }),
      table(
        [
          { label: 'Permission' },
          { label: 'Access' },
          { label: 'Target' },
          { label: 'Via' },
          { label: 'Granted' },
          { label: 'Risk' },
        ],
        i.grants.map((g) => [
          g.permission,
          g.access,
          g.target,
          g.via,
          day(g.grantedAt),
          g.reason ? `${g.risk}: ${g.reason}` : g.risk,
        ]),
        'identity-grants',
      ),
      el('h3', { text: 'Credentials' }),
      table(
        [
          { label: 'Type' },
          { label: 'Name' },
          { label: 'Created' },
          { label: 'Expires' },
          { label: 'Last used' },
        ],
        i.credentials.map((c) => [
          c.type,
          c.name,
          day(c.createdAt),
          c.expiresAt ? day(c.expiresAt) : 'never',
          c.lastUsed === null ? 'no signal' : day(c.lastUsed),
        ]),
        'identity-credentials',
      ),
      el('h3', { text: 'Reviews' }),
      i.reviews.length
        ? table(
            [
              { label: 'Date' },
              { label: 'Decision' },
              { label: 'Reviewer' },
              { label: 'Note' },
              { label: 'Until' },
              { label: 'Recorded in' },
            ],
            i.reviews.map((r) => [
              day(r.date),
              r.decision,
              r.reviewer,
              r.note || '',
              day(r.until),
              r.source === 'store' ? 'grantscope review' : 'governance file',
            ]),
            'identity-reviews',
          )
        : el('p', { class: 'muted', text: 'No review on record.' }),
      el('h3', { text: 'History across snapshots' }),
      table(
        [
          { label: 'Scan' },
          { label: 'Date' },
          { label: 'Present' },
          { label: 'Grants', num: true },
          { label: 'Credentials', num: true },
          { label: 'Risk tier' },
        ],
        i.history.map((h) => [
          `#${h.scanId}`,
          day(h.startedAt),
          h.present ? 'yes' : 'no',
          String(h.grants),
          String(h.credentials),
          h.present ? h.riskTier : '—',
        ]),
        'identity-history',
      ),
    ];
  }

  function frameworksView() {
    const out = [el('h2', { text: 'Framework view' })];
    if (DATA.framework) out.push(el('p', { class: 'muted', text: `Limited to ${DATA.framework}.` }));
    for (const fw of DATA.frameworks) {
      out.push(el('h3', { id: `fw-${fw.id}`, text: fw.name }));
      for (const c of fw.controls) {
        const failing = c.failing.filter((n) => !DATA.findings[n].excepted);
        out.push(
          el(
            'div',
            { class: 'control', 'data-control': c.key },
            el(
              'h4',
              {},
              `${c.id} — ${c.title} `,
              el('span', {
                class: failing.length ? 'status-fail' : 'status-pass',
                text: failing.length ? `${failing.length} failing` : 'no failing finding',
              }),
            ),
            el('p', { class: 'muted', text: `Assessed by finding types: ${c.findingTypes.join(', ')}` }),
            el('strong', { text: 'Evidence' }),
            el(
              'ul',
              {},
              c.evidence.map((e) =>
                el(
                  'li',
                  {},
                  e.text,
                  e.identities.length && e.identities.length <= 30
                    ? [
                        ' (',
                        ...e.identities.flatMap((n, k) => (k ? [', ', identityLink(n)] : [identityLink(n)])),
                        ')',
                      ]
                    : null,
                ),
              ),
            ),
            c.failing.length
              ? [
                  el('strong', { text: 'Findings that fail it' }),
                  findingsTable(c.failing, `failing-${c.key}`),
                ]
              : null,
          ),
        );
      }
    }
    return out;
  }

  // ---- routing -------------------------------------------------------------------------------------

  const VIEWS = {
    summary: summaryView,
    inventory: inventoryView,
    findings: findingsView,
    frameworks: frameworksView,
  };
  const main = document.getElementById('main');
  const drawn = {};

  function route() {
    const hash = location.hash.replace(/^#/, '') || 'summary';
    const [view, arg] = hash.split('/');
    for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === view);
    for (const s of main.children) s.hidden = true;
    if (view === 'identity') {
      const section = el('section', { 'data-view': 'identity' }, identityView(Number(arg)));
      main.querySelector('section[data-view="identity"]')?.remove();
      main.append(section);
      window.scrollTo(0, 0);
      return;
    }
    const name = VIEWS[view] ? view : 'summary';
    if (!drawn[name]) {
      drawn[name] = el('section', { 'data-view': name }, VIEWS[name]());
      main.append(drawn[name]);
    }
    drawn[name].hidden = false;
  }

  document.getElementById('title').textContent = `grantscope report — snapshot #${DATA.scan.id}`;
  document.getElementById('subtitle').textContent =
    `${DATA.scans ? `Newest scan of each of ${plural(DATA.scans.sources.length, 'source')} (${DATA.scan.status}); newest #${DATA.scan.id}` : `Scan #${DATA.scan.id} ${DATA.scan.status}`}, started ${DATA.scan.startedAt}; findings as of ${DATA.asOf}` +
    `${DATA.scan.governanceHash ? `; governance sha256 ${DATA.scan.governanceHash}` : ''}.`;
  document.getElementById('footer').textContent =
    `${DATA.tool.name} ${DATA.tool.version}. This file is self-contained: it loads nothing and sends nothing.`;
  window.addEventListener('hashchange', route);
  route();
})();

// gridcase's supervisors' page. Everything it shows comes from the
// gateway's /api/, read for the signed-in actor in that actor's scope.
// Text is always set as text (never as HTML): a case title is never code.
// Times are shown on the city's clock (/api/me names its zone).
(function () {
  'use strict';

  var me = null;
  var main = document.getElementById('main');
  var query = new URLSearchParams(window.location.search);
  var timers = [];
  var source = null;

  // ---- small helpers ------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') { node.textContent = attrs[key]; }
      else if (key === 'class') { node.className = attrs[key]; }
      else if (key.slice(0, 2) === 'on') { node.addEventListener(key.slice(2), attrs[key]); }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  function api(path) {
    return fetch('/api/' + path, { credentials: 'same-origin' }).then(function (response) {
      if (response.status === 401) {
        window.location = '/login?next=' + encodeURIComponent(window.location.pathname);
        throw new Error('signed out');
      }
      return response.json().then(function (body) {
        if (!response.ok) {
          var error = new Error(body.error || response.statusText);
          error.status = response.status;
          throw error;
        }
        return body;
      });
    });
  }

  function params(object) {
    var search = new URLSearchParams();
    Object.keys(object).forEach(function (key) {
      if (object[key]) { search.set(key, object[key]); }
    });
    return search.toString();
  }

  // An ISO time on the city's clock: 2026-11-23 17:08
  function when(iso) {
    if (!iso) { return ''; }
    var date = new Date(iso);
    if (isNaN(date.getTime())) { return ''; }
    var parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: me.timezone, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
    }).formatToParts(date);
    var get = function (type) {
      var part = parts.filter(function (p) { return p.type === type; })[0];
      return part ? part.value : '';
    };
    return get('year') + '-' + get('month') + '-' + get('day') + ' ' + get('hour') + ':' + get('minute');
  }

  function span(ms) {
    if (ms === null || ms === undefined || ms === '') { return '–'; }
    var minutes = Math.round(ms / 60000);
    if (minutes < 60) { return minutes + ' min'; }
    var hours = Math.floor(minutes / 60);
    if (hours < 48) { return hours + ' h ' + (minutes % 60) + ' min'; }
    return Math.floor(hours / 24) + ' d ' + (hours % 24) + ' h';
  }

  function rate(value) {
    return value === null || value === undefined ? '–' : (value * 100).toFixed(1) + '%';
  }

  function caseLink(id) {
    return el('a', { href: '/cases/' + encodeURIComponent(id), text: id, class: 'case' });
  }

  // A table with a button that downloads it as CSV (a UTF-8 BOM first, so
  // that Excel on a Chinese Windows desktop reads it right)
  function table(headers, rows, className) {
    var node = el('table', { class: className || '' }, [
      el('thead', {}, [el('tr', {}, headers.map(function (h) { return el('th', { text: h }); }))]),
      el('tbody', {}, rows)
    ]);
    var button = el('button', { type: 'button', class: 'csv noprint', text: '下载 CSV', onclick: function () { download(node); } });
    return el('div', { class: 'table' }, [button, node]);
  }

  function download(node) {
    var quote = function (text) {
      text = (text || '').replace(/\s+/g, ' ').trim();
      return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    };
    var lines = Array.prototype.map.call(node.querySelectorAll('tr'), function (tr) {
      return Array.prototype.map.call(tr.children, function (c) { return quote(c.textContent); }).join(',');
    });
    var blob = new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
    var link = el('a', { href: URL.createObjectURL(blob), download: 'gridcase.csv' });
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  function cell(content) {
    return el('td', {}, [typeof content === 'string' || typeof content === 'number'
      ? String(content) : content]);
  }

  function failed(error) {
    main.appendChild(el('p', { class: 'error', text: '读取失败 Could not read: ' + error.message }));
  }

  function clear() {
    timers.forEach(clearInterval);
    timers = [];
    if (source) { source.close(); source = null; }
    while (main.firstChild) { main.removeChild(main.firstChild); }
  }

  function select(name, options, value) {
    return el('select', { name: name }, options.map(function (option) {
      var node = el('option', { value: option[0], text: option[1] });
      if (option[0] === value) { node.selected = true; }
      return node;
    }));
  }

  var periods = [['today', '今天 today'], ['this-week', '本周 this week'],
    ['last-week', '上周 last week'], ['this-month', '本月 this month'],
    ['last-month', '上月 last month']];

  // ---- the escalation log, live -------------------------------------------

  var eventTypes = ['', 'escalated', 'supervision', 'overdue', 'bounced', 'lease_expired',
    'rework', 'reopened', 'arbitrated', 'extension_requested', 'parking_requested',
    'approved', 'rejected'];

  function logRow(entry) {
    return el('tr', { 'data-seq': String(entry.seq) }, [
      cell(when(entry.time)), cell(entry.type), cell(caseLink(entry['case'])),
      cell((entry.from || '–') + ' → ' + (entry.to || '–')), cell(entry.reason || ''),
      cell((entry.actor || '') + (entry.via ? ' via ' + entry.via : ''))
    ]);
  }

  function showLog() {
    var filters = {
      area: query.get('area') || '', department: query.get('department') || '',
      type: query.get('type') || '', period: query.get('period') || ''
    };
    var form = el('form', { class: 'filters', method: 'get', action: '/' }, [
      el('input', { type: 'hidden', name: 'view', value: 'log' }),
      el('label', {}, ['区域 Area ', el('input', { name: 'area', value: filters.area, placeholder: 'community/haihong' })]),
      el('label', {}, ['部门 Department ', el('input', { name: 'department', value: filters.department, placeholder: 'gas' })]),
      el('label', {}, ['类型 Type ', select('type', eventTypes.map(function (t) { return [t, t || '全部 all']; }), filters.type)]),
      el('label', {}, ['时段 Period ', select('period', [['', '全部 all']].concat(periods), filters.period)]),
      el('button', { type: 'submit', text: '筛选 Filter' })
    ]);
    var status = el('span', { class: 'live', id: 'live', text: '…' });
    var body = el('tbody', { id: 'log-rows' });
    main.appendChild(el('h2', {}, ['升级日志 Escalation log ', status]));
    main.appendChild(form);
    var logTable = el('table', { class: 'log' }, [
      el('thead', {}, [el('tr', {}, ['时间 Time', '事件 Event', '案件 Case', '流转 From → to', '原因 Reason', '操作人 By'].map(function (h) { return el('th', { text: h }); }))]),
      body
    ]);
    main.appendChild(el('div', { class: 'table' }, [
      el('button', { type: 'button', class: 'csv noprint', id: 'log-csv', text: '下载 CSV', onclick: function () { download(logTable); } }),
      logTable]));
    api('log?' + params(filters)).then(function (log) {
      log.entries.forEach(function (entry) { body.appendChild(logRow(entry)); });
      if (!log.follow_topic) { status.textContent = ''; return; }
      // Live: newest on top, as they happen
      source = new EventSource('/api/live?' + params({ topic: log.follow_topic, since: String(log.last_seq) }));
      source.addEventListener('open', function () { status.textContent = '● 实时 live'; status.className = 'live on'; });
      source.addEventListener('error', function () { status.textContent = '○ 重连中 reconnecting'; status.className = 'live'; });
      source.addEventListener('entry', function (event) {
        var entry = JSON.parse(event.data);
        if (filters.type && entry.type !== filters.type) { return; }
        if (body.querySelector('tr[data-seq="' + entry.seq + '"]')) { return; }
        body.insertBefore(logRow(entry), body.firstChild);
      });
    }).catch(failed);
  }

  // ---- overdue and red ------------------------------------------------------

  function caseRows(cases, withPast) {
    return cases.map(function (c) {
      return el('tr', { class: c.severity === 'red' ? 'red' : '' }, [
        cell(caseLink(c.id)), cell(c.title || ''), cell(c.severity), cell(c.level),
        cell(c.where || c.holder), cell(c.grid),
        withPast ? cell(c.past_due_ms ? span(c.past_due_ms) : '–') : null
      ]);
    });
  }

  function overdueTables(target, wall) {
    var area = query.get('area') || '';
    return api('overdue?' + params({ area: area })).then(function (data) {
      while (target.firstChild) { target.removeChild(target.firstChild); }
      var headers = ['案件 Case', '标题 Title', '等级 Severity', '层级 Level', '在哪 Where', '网格 Grid', '超期 Past due'];
      target.appendChild(el('h2', { text: '超期案件 Overdue now (' + data.overdue.length + ')' }));
      target.appendChild(table(headers, caseRows(data.overdue, true), wall ? 'big' : ''));
      target.appendChild(el('h2', { text: '红色案件 Red, open (' + data.red.length + ')' }));
      target.appendChild(table(headers, caseRows(data.red, true), wall ? 'big' : ''));
      target.appendChild(el('p', { class: 'note', text: '更新于 Updated ' + when(new Date().toISOString()) }));
    });
  }

  function showOverdue() {
    var target = el('div', { id: 'overdue' });
    main.appendChild(target);
    overdueTables(target, false).catch(failed);
    timers.push(setInterval(function () { overdueTables(target, false).catch(function () {}); }, 10000));
  }

  function headline(target) {
    return api('figures?' + params({ period: 'this-month' })).then(function (stats) {
      var f = stats.figures[0] || {};
      while (target.firstChild) { target.removeChild(target.firstChild); }
      [['本月受理 Received', f.received], ['按期处置率 On time', rate(f.on_time_rate)],
        ['结案率 Closed', rate(f.closure_rate)], ['在办 Open now', f.open_now],
        ['超期 Overdue now', f.overdue_now]].forEach(function (pair) {
        target.appendChild(el('div', { class: 'tile' }, [el('span', { text: pair[0] }), el('strong', { text: String(pair[1] === undefined ? '–' : pair[1]) })]));
      });
    });
  }

  function showWall() {
    document.body.classList.add('wall');
    var tiles = el('div', { class: 'tiles' });
    var target = el('div', { id: 'overdue' });
    main.appendChild(el('h2', { text: (me.name || me.actor) + ' · ' + me.area }));
    main.appendChild(tiles);
    main.appendChild(target);
    var refresh = function () {
      return Promise.all([headline(tiles), overdueTables(target, true)]);
    };
    refresh().catch(failed);
    timers.push(setInterval(function () { refresh().catch(function () {}); }, 10000));
  }

  // ---- figures ---------------------------------------------------------------

  function figuresRow(f) {
    return el('tr', {}, [cell(f.name || f.key), cell(f.received), cell(f.responded),
      cell(f.resolved), cell(f.closed), cell(rate(f.on_time_rate)), cell(rate(f.closure_rate)),
      cell(rate(f.rework_rate)), cell(rate(f.bounce_rate)),
      cell(f.satisfaction === null ? '–' : Number(f.satisfaction).toFixed(2)),
      cell(span(f.respond_mean_ms)), cell(span(f.resolve_mean_ms)), cell(f.open_now), cell(f.overdue_now)]);
  }

  var figuresHeaders = ['区域 Area', '受理 Received', '响应 Responded', '处置 Resolved', '结案 Closed',
    '按期处置率 On time', '结案率 Closure', '返工率 Rework', '退回率 Bounce', '满意度 Satisfaction',
    '平均响应 Respond', '平均处置 Resolve', '在办 Open', '超期 Overdue'];

  function barChart(target, stats) {
    var rows = stats.figures.slice(1);
    if (!rows.length || !window.uPlot) { return; }
    var xs = rows.map(function (f, i) { return i; });
    var ys = rows.map(function (f) { return f.on_time_rate === null ? null : f.on_time_rate * 100; });
    var received = rows.map(function (f) { return f.received; });
    var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 60] }) : null;
    new uPlot({
      title: '受理量与按期处置率 Cases received (bars) and on-time rate (%), by area',
      width: Math.min(target.clientWidth || 900, 1200), height: 300,
      scales: { x: { time: false, range: [-0.5, rows.length - 0.5] }, pct: { range: [0, 100] },
        y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      axes: [{ values: function (u, ticks) { return ticks.map(function (t) { return Number.isInteger(t) && rows[t] ? (rows[t].name || rows[t].key) : ''; }); } },
        { label: 'received' }, { side: 1, scale: 'pct', label: '%', grid: { show: false } }],
      series: [{}, { label: '受理 received', stroke: '#2b6cb0', fill: 'rgba(43,108,176,0.5)', paths: bars, points: { show: false } },
        { label: '按期处置率 on time %', scale: 'pct', stroke: '#c05621', width: 0, points: { show: true, size: 10, fill: '#c05621' } }]
    }, [xs, received, ys], target);
  }

  function lineChart(target, daily) {
    if (!window.uPlot || !daily.days.length) { return; }
    var xs = daily.days.map(function (d) { return Date.parse(d.day + 'T12:00:00Z') / 1000; });
    new uPlot({
      title: '每日受理、结案与超期 Received, closed and late, day by day',
      width: Math.min(target.clientWidth || 900, 1200), height: 260,
      series: [{}, { label: '受理 received', stroke: '#2b6cb0', width: 2 },
        { label: '结案 closed', stroke: '#2f855a', width: 2 },
        { label: '超期 late', stroke: '#c53030', width: 2 }]
    }, [xs, daily.days.map(function (d) { return d.received; }),
      daily.days.map(function (d) { return d.closed; }),
      daily.days.map(function (d) { return d.late; })], target);
  }

  function showFigures() {
    var choice = {
      period: query.get('period') || 'this-month', by: query.get('by') || 'community',
      area: query.get('area') || ''
    };
    main.appendChild(el('h2', { text: '统计 Figures' }));
    main.appendChild(el('form', { class: 'filters', method: 'get', action: '/' }, [
      el('input', { type: 'hidden', name: 'view', value: 'figures' }),
      el('label', {}, ['时段 Period ', select('period', periods, choice.period)]),
      el('label', {}, ['分组 By ', select('by', [['community', '社区 community'], ['street', '街道 street'], ['grid', '网格 grid'], ['department', '部门 department']], choice.by)]),
      el('label', {}, ['区域 Area ', el('input', { name: 'area', value: choice.area, placeholder: '（默认本人辖区 your area）' })]),
      el('button', { type: 'submit', text: '查看 Show' })
    ]));
    var links = el('p', { class: 'downloads' }, [
      el('a', { href: '/api/figures.csv?' + params(choice), text: '下载表格 CSV (figures)', id: 'figures-csv' }), ' · ',
      el('a', { href: '/api/cases.csv?' + params({ period: choice.period, area: choice.area }), text: '下载案件 CSV (cases, every timestamp)', id: 'cases-csv' })
    ]);
    var tableBox = el('div', { id: 'figures-table' });
    var bars = el('div', { class: 'chart', id: 'chart-bars' });
    var line = el('div', { class: 'chart', id: 'chart-daily' });
    main.appendChild(links);
    main.appendChild(tableBox);
    main.appendChild(bars);
    main.appendChild(line);
    api('figures?' + params(choice)).then(function (stats) {
      tableBox.appendChild(table(figuresHeaders, stats.figures.map(figuresRow), 'figures'));
      barChart(bars, stats);
      return api('daily?' + params({ period: choice.period, area: choice.area }));
    }).then(function (daily) { lineChart(line, daily); }).catch(failed);
  }

  // ---- the grid map -------------------------------------------------------------

  function showMap() {
    main.appendChild(el('h2', { text: '网格地图 Grid map' }));
    var box = el('div', { class: 'map' });
    var list = el('div', { id: 'grid-cases' });
    main.appendChild(box);
    main.appendChild(el('p', { class: 'note', text: '红：有超期 red: overdue · 橙：有在办 orange: open · 绿：无 green: none. 点击网格查看案件 Click a grid for its cases.' }));
    main.appendChild(list);
    api('grids').then(function (grids) {
      var width = Math.min(box.clientWidth || 900, 1000), height = Math.round(width * 0.6);
      var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
      svg.setAttribute('id', 'map');
      box.appendChild(svg);
      if (!grids.bounded) {
        // No boundaries in this city: the grids as tiles, community by community
        svg.remove();
        var byCommunity = {};
        grids.features.forEach(function (feature) {
          var p = feature.properties;
          (byCommunity[p.community] = byCommunity[p.community] || []).push(p);
        });
        Object.keys(byCommunity).sort().forEach(function (community) {
          box.appendChild(el('div', { class: 'community' }, [el('h3', { text: community })].concat(
            byCommunity[community].map(function (p) {
              return el('button', { class: 'tile grid ' + (p.overdue ? 'overdue' : p.open ? 'open' : 'calm'), 'data-grid': p.grid,
                text: p.name + ' (' + p.open + '/' + p.overdue + ')', onclick: function () { gridCases(p.grid, list); } });
            }))));
        });
        return;
      }
      // GeoJSON winds an outer ring anticlockwise; d3-geo, on the sphere,
      // reads that as everything but the grid: turn such rings round
      grids.features.forEach(function (feature) {
        if (d3.geoArea(feature) > 2 * Math.PI) {
          var polygons = feature.geometry.type === 'Polygon' ? [feature.geometry.coordinates] : feature.geometry.coordinates;
          polygons.forEach(function (rings) { rings.forEach(function (ring) { ring.reverse(); }); });
        }
      });
      var projection = d3.geoMercator().fitSize([width, height], grids);
      var path = d3.geoPath(projection);
      grids.features.forEach(function (feature) {
        var p = feature.properties;
        var shape = document.createElementNS('http://www.w3.org/2000/svg', 'path');
        shape.setAttribute('d', path(feature));
        shape.setAttribute('class', 'grid ' + (p.overdue ? 'overdue' : p.open ? 'open' : 'calm'));
        shape.setAttribute('data-grid', p.grid);
        var title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
        title.textContent = p.name + ': ' + p.open + ' open, ' + p.overdue + ' overdue';
        shape.appendChild(title);
        shape.addEventListener('click', function () { gridCases(p.grid, list); });
        svg.appendChild(shape);
        var centre = path.centroid(feature);
        var label = document.createElementNS('http://www.w3.org/2000/svg', 'text');
        label.setAttribute('x', centre[0]);
        label.setAttribute('y', centre[1]);
        label.setAttribute('class', 'label');
        label.textContent = p.grid + ' (' + p.open + '/' + p.overdue + ')';
        svg.appendChild(label);
      });
    }).catch(failed);
  }

  function gridCases(grid, target) {
    api('cases?' + params({ area: 'grid/' + grid })).then(function (data) {
      while (target.firstChild) { target.removeChild(target.firstChild); }
      target.appendChild(el('h3', { text: grid + ': ' + data.cases.length + ' cases' }));
      target.appendChild(table(['案件 Case', '标题 Title', '等级 Severity', '层级 Level', '在哪 Where', '网格 Grid', '超期 Past due'], caseRows(data.cases, true)));
    }).catch(failed);
  }

  // ---- the weekly report -----------------------------------------------------------

  function showWeekly() {
    var community = query.get('community') || (me.area_kind === 'community' ? me.area : '');
    main.appendChild(el('h2', { text: '例行报告 Weekly report' }));
    main.appendChild(el('form', { class: 'filters noprint', method: 'get', action: '/' }, [
      el('input', { type: 'hidden', name: 'view', value: 'weekly' }),
      el('label', {}, ['社区 Community ', el('input', { name: 'community', value: community, placeholder: 'haihong' })]),
      el('button', { type: 'submit', text: '查看 Show' }),
      el('button', { type: 'button', text: '打印 Print', onclick: function () { window.print(); } })
    ]));
    if (!community) { return; }
    var area = 'community/' + community;
    var report = el('div', { class: 'report' });
    main.appendChild(report);
    api('figures?' + params({ period: 'this-week', area: area, by: 'grid' })).then(function (stats) {
      var f = stats.figures[0];
      report.appendChild(el('h3', { text: f.name + ' · ' + stats.from_day + ' – ' + stats.to_day }));
      report.appendChild(table(figuresHeaders, stats.figures.map(figuresRow), 'figures'));
      return api('log?' + params({ area: area, period: 'this-week' }));
    }).then(function (log) {
      report.appendChild(el('h3', { text: '本周升级日志 Escalation log of the week' }));
      report.appendChild(table(['时间 Time', '事件 Event', '案件 Case', '流转 From → to', '原因 Reason', '操作人 By'], log.entries.map(logRow), 'log'));
      return api('overdue?' + params({ area: area }));
    }).then(function (data) {
      report.appendChild(el('h3', { text: '当前超期 Overdue now' }));
      report.appendChild(table(['案件 Case', '标题 Title', '等级 Severity', '层级 Level', '在哪 Where', '网格 Grid', '超期 Past due'], caseRows(data.overdue, true)));
    }).catch(failed);
  }

  // ---- one case ------------------------------------------------------------------

  function showCase(id) {
    api('case/' + encodeURIComponent(id)).then(function (data) {
      var c = data['case'];
      main.appendChild(el('h2', {}, ['案件 Case ' + c.id + ' ', el('span', { class: 'badge ' + c.severity, text: c.severity })]));
      main.appendChild(el('p', { class: 'title', id: 'case-title', text: c.title }));
      var facts = [['状态 State', c.state], ['层级 Level', c.level], ['在哪 Where', c.where],
        ['网格 Grid', c.grid + ' · ' + c.community + ' · ' + c.street], ['类别 Category', c.category],
        ['上报 Reported', when(c.created_at) + ' · ' + c.reporter + (c.via ? ' via ' + c.via : '')],
        ['描述 Description', c.description], ['地址 Address', c.address],
        ['处置期限 Resolution due', when(c.resolution_due)], ['升级次数 Escalations', String(c.escalation_count)]];
      main.appendChild(el('dl', { class: 'facts' }, facts.reduce(function (list, pair) {
        if (pair[1]) { list.push(el('dt', { text: pair[0] })); list.push(el('dd', { text: pair[1] })); }
        return list;
      }, [])));
      main.appendChild(el('p', { class: 'chain ' + (data.chain.indexOf('intact') === 0 ? 'ok' : 'bad'), id: 'chain', text: '哈希链 Hash chain: ' + data.chain }));
      var rows = data.history.map(function (entry, i) {
        var next = data.history[i + 1];
        var held = next ? Date.parse(next.time) - Date.parse(entry.time) : Date.now() - Date.parse(entry.time);
        return el('tr', {}, [cell(String(entry.seq)), cell(when(entry.time)), cell(entry.type),
          cell((entry.actor || '') + (entry.via ? ' via ' + entry.via : '')),
          cell((entry.from || '–') + ' → ' + (entry.to || '–')), cell(span(held)),
          cell(entry.reason || ''), cell(entry.detail || '')]);
      });
      main.appendChild(el('h3', { text: '全程记录 History' }));
      main.appendChild(table(['#', '时间 Time', '事件 Event', '操作人 By', '流转 From → to', '停留 Held for', '原因 Why', '备注 Note'], rows, 'history'));
    }).catch(function (error) {
      main.appendChild(el('p', { class: 'error', id: 'case-error', text: (error.status === 403 ? '无权查看 Not yours to see: ' : '读取失败 Could not read: ') + error.message }));
    });
  }

  // ---- the page --------------------------------------------------------------

  function route() {
    clear();
    var path = window.location.pathname;
    var view = query.get('wall') ? 'wall' : (query.get('view') || 'log');
    Array.prototype.forEach.call(document.querySelectorAll('#tabs a'), function (a) {
      a.className = a.getAttribute('data-view') === view && path === '/' ? 'active' : '';
    });
    if (path.indexOf('/cases/') === 0) { showCase(decodeURIComponent(path.slice(7))); }
    else if (view === 'overdue') { showOverdue(); }
    else if (view === 'figures') { showFigures(); }
    else if (view === 'map') { showMap(); }
    else if (view === 'weekly') { showWeekly(); }
    else if (view === 'wall') { showWall(); }
    else { showLog(); }
  }

  api('me').then(function (who) {
    me = who;
    document.getElementById('who').textContent = (who.name || who.actor) + ' · ' + who.role + ' · ' + who.area;
    document.getElementById('csrf').value = who.csrf;
    document.body.setAttribute('data-actor', who.actor);
    route();
  }).catch(function () {});
})();

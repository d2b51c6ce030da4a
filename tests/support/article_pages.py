"""Article pages for the tests' loopback servers: an English one and a Chinese one in GBK,
each with navigation and a footer around enough text of its own to be an article."""

from __future__ import annotations

from feedserver import Route

ENGLISH = """<!doctype html><html><head><meta charset="utf-8">
<title>Courts add 1.46 million defaulters | Court Watch</title>
<meta property="article:published_time" content="2017-07-05T09:30:00+08:00"></head>
<body><nav><a href="/">Home</a> | <a href="/courts">Courts</a> | <a href="/about">About</a></nav>
<article><h1>Courts Add 1.46 Million Judgment Defaulters in First Half</h1>
<p>The Supreme People's Court said on Wednesday that courts added 1.46 million entries to the list of
judgment defaulters in the first half of the year, bringing the total to more than 7 million.</p>
<p>People on the list may not buy plane or train tickets, and their names are published on the court's
website; the court said more than a million people had paid what they owed after being listed.</p>
<p>Lawyers say the list is effective but that the procedure for getting off it remains unclear.</p></article>
<footer>Copyright 2017 Court Watch. All rights reserved.</footer></body></html>"""

CHINESE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>厦门发布首批守信红名单_信用观察</title>
<meta name="publishdate" content="2017-07-06"></head><body>
<div class="nav">首页 | 要闻 | 地方</div>
<div class="article"><h1>厦门发布首批守信“红名单” 215家企业38名个人上榜</h1>
<p>厦门市日前公布首批守信联合激励“红名单”，215家企业和38名个人入选。列入名单的主体在办理行政审批时可享受“绿色通道”等便利，名单每半年动态调整一次。</p>
<p>厦门市社会信用体系建设领导小组办公室表示，红名单的认定以信用信息共享平台的记录为依据，出现严重失信行为的主体将被及时移出名单。</p>
<p>据介绍，这是厦门市首次发布守信联合激励对象名单，今后还将在更多领域推出守信激励措施。</p></div>
<div class="footer">版权所有 信用观察</div></body></html>"""


def english_route() -> Route:
    return Route(ENGLISH.encode("utf-8"), content_type="text/html; charset=utf-8")


def chinese_route() -> Route:
    return Route(CHINESE.encode("gbk"), content_type="text/html; charset=gbk")


# A court's page dated only in its text, the Chinese way; the year alone (2017年上半年) in
# its headline is what a date guesser takes for 2017-01-01.
CHINESE_DATED_IN_TEXT = """<html><head><meta charset="utf-8"><title>法院诚信新闻</title></head><body>
<div class="nav">首页 | 要闻</div><div class="info">发布日期：{published} 来源：最高人民法院</div>
<div class="article"><h1>2017年上半年全国法院新增失信被执行人146万人次</h1>
<p>{body_date} 最高人民法院今天发布，2017年上半年全国法院新增失信被执行人146万人次，累计已达七百余万人次。失信被执行人在乘坐飞机、高铁等方面受到限制。</p>
<p>最高人民法院表示，将继续推进失信被执行人名单制度，加强联合惩戒，让失信者寸步难行。各地法院积极配合，推动社会信用体系建设。</p></div></body></html>"""


def chinese_dated_route(published: str = "2017年7月4日", body_date: str = "2017年07月04日") -> Route:
    page = CHINESE_DATED_IN_TEXT.format(published=published, body_date=body_date)
    return Route(page.encode("utf-8"), content_type="text/html; charset=utf-8")

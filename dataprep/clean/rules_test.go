package clean

import (
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/textutil"
)

// Distinct sentences so that the good documents repeat no n-gram.
var enSentences = []string{
	"The river town grew quickly after the railway arrived in the spring of that year.",
	"Merchants opened shops along the main street and sold tools, cloth and fresh bread.",
	"Children walked to a small stone school that stood beside the old mill.",
	"Each autumn the farmers brought their harvest to a crowded market near the bridge.",
	"Visitors often remarked that the hills looked blue when clouds gathered over them.",
	"A local newspaper printed stories about weddings, storms and council meetings.",
	"Later, a library with thousands of books was built with money from several families.",
	"Today historians study letters and photographs to understand how people lived then.",
}

var zhSentences = []string{
	"这座小城在铁路修通以后发展得很快，街上开了许多新的商店。",
	"孩子们每天走路去河边的学校，老师教他们读书和写字。",
	"秋天的时候，农民把粮食运到桥头的市场上去卖。",
	"来访的客人常说，云多的日子里远处的山看起来是蓝色的。",
	"本地的报纸记录了婚礼、暴雨和议会开会的消息。",
	"后来几个家族出钱修了一座图书馆，里面有上万本书。",
	"如今历史学家研究当年的信件和照片，想知道人们是怎样生活的。",
}

func enDoc() string { return strings.Join(enSentences, " ") }
func zhDoc() string { return strings.Join(zhSentences, "") }

// only returns the default config with one rule group left on.
func only(group string) Config {
	c := DefaultConfig()
	c.GopherQuality = group == "quality"
	c.GopherRepetition = group == "repetition"
	c.C4 = group == "c4"
	c.FineWeb = group == "fineweb"
	return c
}

func runCase(t *testing.T, cfg Config, text string, want Reason) Result {
	t.Helper()
	cl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := cl.Clean(text)
	if res.Reason != want {
		t.Fatalf("reason = %v, want %v (text %.120q)", res.Reason, want, text)
	}
	return res
}

func TestGopherQuality(t *testing.T) {
	long := strings.Repeat(enDoc()+" ", 1)
	cases := []struct {
		name string
		mod  func(*Config)
		text string
		want Reason
	}{
		{"en good", nil, long, Keep},
		{"zh good", nil, zhDoc(), Keep},
		{"en short", nil, "The cat sat on the mat with a hat.", ReasonShortDoc},
		{"zh short counts characters", nil, "这是一个很短的句子。", ReasonShortDoc},
		{"en long", func(c *Config) { c.MaxWords = 50 }, long, ReasonLongDoc},
		{"zh long", func(c *Config) { c.MaxWords = 100 }, zhDoc(), ReasonLongDoc},
		{"short words", nil, strings.Repeat("a an to be of it is so we do ", 10), ReasonBelowAvgWordLen},
		{"long words", nil, strings.Repeat("internationalization characteristically the ", 20), ReasonAboveAvgWordLen},
		{"zh skips mean word length", func(c *Config) { c.MinMeanWordLength = 3 }, zhDoc(), Keep},
		{"hashes", nil, long + strings.Repeat(" #tag", 12), ReasonTooManyHashes},
		{"ellipsis", nil, long + strings.Repeat(" more...", 12), ReasonTooManyEllipsis},
		{"zh ellipsis", nil, zhDoc() + strings.Repeat("还有…", 30), ReasonTooManyEllipsis},
		{"bullets", nil, strings.Repeat("• "+enSentences[0]+"\n", 1) + bulletLines(enSentences[1:]), ReasonTooManyBullets},
		{"zh bullets", nil, bulletLines(zhSentences), ReasonTooManyBullets},
		{"end ellipsis", nil, strings.Join(enSentences, "...\n"), ReasonTooManyEndEllipsis},
		{"non alpha", nil, long + strings.Repeat(" 1234", 30), ReasonBelowAlpha},
		{"no stop words", nil, noStop(long), ReasonFewStopWords},
		{"zh no stop words", nil, "春花秋月冬雪夏雨东山西水南风北雁。" + strings.Repeat("龙虎鹤龟鱼鸟花草树木金银铜铁锡。", 4), ReasonFewStopWords},
		{"rule off", func(c *Config) { c.MinStopWords = 0 }, noStop(long), Keep},
		{"zh fifty characters are fifty words", nil, "那猴在山中，却会行走跳跃，食草木，饮涧泉，采山花，觅树果；与狼虫为伴，虎豹为群，獐鹿为友，猕猿为亲；夜宿石崖之下，朝游峰洞之中。", Keep},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := only("quality")
			if c.mod != nil {
				c.mod(&cfg)
			}
			runCase(t, cfg, c.text, c.want)
		})
	}
}

func bulletLines(ss []string) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString("• " + s + "\n")
	}
	return b.String()
}

// noStop removes the English stop words.
func noStop(s string) string {
	var out []string
	for _, w := range strings.Fields(s) {
		if !textutil.IsStopWord(textutil.LangEN, w) {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

func TestGopherRepetition(t *testing.T) {
	en, zh := enDoc(), zhDoc()
	paras := strings.Join(enSentences, "\n\n")
	cases := []struct {
		name string
		mod  func(*Config)
		text string
		want Reason
	}{
		{"en good", nil, en, Keep},
		{"zh good", nil, zh, Keep},
		{"en paragraphs good", nil, paras, Keep},
		{"dup paragraphs", nil, paras + "\n\n" + strings.Repeat(enSentences[0]+"\n\n", 4), ReasonDupParaFrac},
		{"dup paragraph chars", func(c *Config) { c.MaxDupParaFrac = 0 }, paras + "\n\n" + strings.Repeat(enSentences[6]+"\n\n", 3), ReasonDupParaCharFrac},
		{"dup lines", nil, strings.Join(enSentences, "\n") + "\n" + strings.Repeat("Share this\n", 5), ReasonDupLineFrac},
		{"zh dup lines", nil, strings.Join(zhSentences, "\n") + "\n" + strings.Repeat("点击分享\n", 5), ReasonDupLineFrac},
		{"dup line chars", func(c *Config) { c.MaxDupLineFrac = 0 }, strings.Join(enSentences, "\n") + "\n" + strings.Repeat(enSentences[6]+"\n", 2), ReasonDupLineCharFrac},
		{"top 2-gram", nil, en + strings.Repeat(" buy now", 30), ReasonTop2Gram},
		{"zh top 2-gram", nil, zh + strings.Repeat("特价，", 40), ReasonTop2Gram},
		{"top 3-gram", func(c *Config) { c.TopNgramFracs = []float64{0, 0.18} }, en + strings.Repeat(" buy it now", 20), ReasonTop3Gram},
		{"top 4-gram", func(c *Config) { c.TopNgramFracs = []float64{0, 0, 0.16} }, en + strings.Repeat(" buy it right now", 15), ReasonTop4Gram},
		{"dup 5-gram", func(c *Config) { c.TopNgramFracs = nil }, en + " " + en, ReasonDup5Gram},
		{"zh dup 5-gram", func(c *Config) { c.TopNgramFracs = nil }, zh + zh, ReasonDup5Gram},
		{"dup 10-gram", func(c *Config) {
			c.TopNgramFracs = nil
			c.DupNgramFracs = []float64{0, 0, 0, 0, 0, 0.10}
		}, en + " " + en, ReasonDup10Gram},
		{"rules off", func(c *Config) {
			c.TopNgramFracs, c.DupNgramFracs = nil, nil
		}, en + " " + en, Keep},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := only("repetition")
			if c.mod != nil {
				c.mod(&cfg)
			}
			runCase(t, cfg, c.text, c.want)
		})
	}
}

func TestC4(t *testing.T) {
	lines := strings.Join(enSentences, "\n")
	zlines := strings.Join(zhSentences, "\n")
	cases := []struct {
		name     string
		mod      func(*Config)
		text     string
		want     Reason
		wantText string
	}{
		{"en good", nil, lines, Keep, lines},
		{"zh good", nil, zlines, Keep, zlines},
		{"no terminal line dropped", nil, "Menu Home About\n" + lines, Keep, lines},
		{"zh no terminal line dropped", nil, "首页 关于我们\n" + zlines, Keep, zlines},
		{"few words line dropped", nil, lines + "\nHi there.", Keep, lines},
		{"javascript line dropped", nil, lines + "\nPlease enable JavaScript to view the page.", Keep, lines},
		{"policy line dropped", nil, lines + "\nRead our Privacy Policy for more details.", Keep, lines},
		{"citations removed", nil, "The town grew[1] after the railway came.[12]\n" + lines, Keep,
			"The town grew after the railway came.\n" + lines},
		{"lorem ipsum", nil, lines + "\nLorem ipsum dolor sit amet, consectetur.", ReasonLoremIpsum, ""},
		{"curly bracket", nil, lines + "\nThe code is function() { return 1; }.", ReasonCurlyBracket, ""},
		{"too few sentences", nil, strings.Join(enSentences[:3], "\n"), ReasonTooFewSentences, ""},
		{"zh too few sentences", nil, strings.Join(zhSentences[:3], "\n"), ReasonTooFewSentences, ""},
		{"zh sentences inside a line", nil, strings.Join(zhSentences, ""), Keep, strings.Join(zhSentences, "")},
		{"paragraph breaks kept", nil, "Menu\n\n" + strings.Join(enSentences[:4], "\n") + "\n\n" + strings.Join(enSentences[4:], "\n"), Keep,
			strings.Join(enSentences[:4], "\n") + "\n\n" + strings.Join(enSentences[4:], "\n")},
		{"terminal rule off", func(c *Config) { c.C4TerminalPunct = false }, "Menu Home About\n" + lines, Keep, "Menu Home About\n" + lines},
		{"zh line ending in a colon kept", nil, zlines + "\n猴王听说，只得相辞，果然望见一座洞府。但见：", Keep, zlines + "\n猴王听说，只得相辞，果然望见一座洞府。但见："},
		{"zh line ending in a semicolon kept", nil, zlines + "\n与狼虫为伴，虎豹为群，獐鹿为友；", Keep, zlines + "\n与狼虫为伴，虎豹为群，獐鹿为友；"},
		{"zh line ending in an ellipsis kept", nil, zlines + "\n他想了很久，还是不知道该说什么……", Keep, zlines + "\n他想了很久，还是不知道该说什么……"},
		{"zh sentences end at ellipses", nil, "他想了很久……还是不知道……该说什么……只好走了……回到家里。", Keep, "他想了很久……还是不知道……该说什么……只好走了……回到家里。"},
		{"en single ellipses are no sentence ends", nil, "He thought… and thought… and thought… then left… and came home.", ReasonTooFewSentences, ""},
		{"zh sentences end at semicolons", nil, "那猴在山中，食草木；与狼虫为伴；虎豹为群；獐鹿为友；夜宿石崖之下。", Keep, "那猴在山中，食草木；与狼虫为伴；虎豹为群；獐鹿为友；夜宿石崖之下。"},
		{"zh chapter heading kept", nil, "第一回\u3000灵根育孕源流出\u3000心性修持大道生\n" + zlines, Keep, "第一回 灵根育孕源流出 心性修持大道生\n" + zlines},
		{"zh not a heading", nil, "第三名的奖品很多\n" + zlines, Keep, zlines},
		{"en line ending in a colon dropped", nil, lines + "\nThe shop sells the following items:", Keep, lines},
		{"en line ending in one ellipsis dropped", nil, lines + "\nAnd then the story went on and on…", Keep, lines},
		{"long line keeps its sentences", nil, enDoc() + " Categories: Towns Rivers Railways", Keep, enDoc()},
		{"zh long line keeps its sentences", nil, zhDoc() + "分类 城市 河流", Keep, zhDoc()},
		{"zh long line ending in an ellipsis keeps its sentences", nil, zhDoc() + "他还在想……分类 城市", Keep, zhDoc() + "他还在想……"},
		{"short line loses its tail", nil, lines + "\nOne sentence. Two sentence. Click here", Keep, lines},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := only("c4")
			if c.mod != nil {
				c.mod(&cfg)
			}
			res := runCase(t, cfg, c.text, c.want)
			if res.Text != c.wantText {
				t.Fatalf("text = %q, want %q", res.Text, c.wantText)
			}
		})
	}
}

func TestFineWeb(t *testing.T) {
	lines := strings.Join(enSentences, "\n")
	cases := []struct {
		name string
		mod  func(*Config)
		text string
		want Reason
	}{
		{"en good", nil, lines, Keep},
		{"zh good", nil, strings.Join(zhSentences, "\n"), Keep},
		{"no punctuation", nil, strings.ReplaceAll(lines, ".", ""), ReasonLinePunct},
		{"zh no punctuation", nil, strings.ReplaceAll(strings.Join(zhSentences, "\n"), "。", ""), ReasonLinePunct},
		{"short lines", nil, "Home.\nAbout us.\nContact.\nNews.\n" + enSentences[0], ReasonShortLines},
		{"zh short lines", nil, "首页。\n关于我们。\n联系。\n新闻。\n" + zhSentences[0], ReasonShortLines},
		{"zh line of eleven characters is not short", nil, "这座城市发展得很快了。\n那条河流得很慢很慢了。\n" + zhSentences[0], Keep},
		{"duplicate line chars", nil, lines + "\n" + enSentences[2], ReasonCharDup},
		{"list ratio", func(c *Config) { c.FWShortLineRatio = 0 }, "Apples.\nPears.\nPlums.\nFigs.\nDates.\nLimes.", ReasonListRatio},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := only("fineweb")
			if c.mod != nil {
				c.mod(&cfg)
			}
			runCase(t, cfg, c.text, c.want)
		})
	}
}

// TestChapterHeadingDocument keeps a chapter heading that arrives as a
// document of its own (line mode) under the defaults, while an English
// heading or a Chinese line that only starts like one is still dropped.
func TestChapterHeadingDocument(t *testing.T) {
	cases := []struct {
		text string
		want Reason
	}{
		{"第一回\u3000灵根育孕源流出\u3000心性修持大道生", Keep},
		{"    第九十九回　九九数完魔灭尽　三三行满道归根", Keep},
		{"第12章 归来", Keep},
		{"第一回", Keep},
		{"第一回 他来了。", ReasonTop2Gram},
		{"第一名是他", ReasonTop2Gram},
		{"Chapter 1: The Beginning", ReasonTop2Gram},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) { runCase(t, DefaultConfig(), c.text, c.want) })
	}
}

func TestLanguage(t *testing.T) {
	cfg := only("none")
	for _, c := range []struct {
		text string
		want textutil.Lang
	}{{enDoc(), textutil.LangEN}, {zhDoc(), textutil.LangZH}, {"Это русский текст.", textutil.LangOther}} {
		if got := runCase(t, cfg, c.text, Keep).Lang; got != c.want {
			t.Errorf("lang(%.20q) = %v, want %v", c.text, got, c.want)
		}
	}
}

use super::*;

fn text(s: &str) -> Inline {
    Inline::Text(s.to_owned())
}

fn line(body: &str) -> Vec<Inline> {
    match parse(body).as_slice() {
        [Block::Paragraph(runs)] => runs.clone(),
        other => panic!("one paragraph expected, got {other:?}"),
    }
}

fn link(href: &str, shown: &str) -> Inline {
    Inline::Link(Link {
        href: href.to_owned(),
        text: shown.to_owned(),
    })
}

#[test]
fn the_four_styles_and_their_markers_gone_in_plain_text() {
    assert_eq!(
        line("*bold* _it_ ~gone~ `x = 1`"),
        [
            Inline::Bold(vec![text("bold")]),
            text(" "),
            Inline::Italic(vec![text("it")]),
            text(" "),
            Inline::Strike(vec![text("gone")]),
            text(" "),
            Inline::Code("x = 1".into()),
        ]
    );
    assert_eq!(plain("*bold* _it_ ~gone~ `x = 1`"), "bold it gone x = 1");
}

#[test]
fn styles_nest_in_each_other_but_not_in_themselves() {
    assert_eq!(
        line("*very _much_ so*"),
        [Inline::Bold(vec![
            text("very "),
            Inline::Italic(vec![text("much")]),
            text(" so"),
        ])]
    );
    // Crossed markers: the first pair wins, the other stays as typed.
    assert_eq!(
        line("*a _b* c_"),
        [Inline::Bold(vec![text("a _b")]), text(" c_")]
    );
}

#[test]
fn markers_inside_words_and_next_to_spaces_stay_as_typed() {
    for body in [
        "snake_case_name",
        "2*3*4 = 24",
        "a * b * c",
        "so * not bold*",
        "*not bold *",
        "**",
        "_",
        "~~",
    ] {
        assert_eq!(line(body), [text(body)], "{body}");
    }
    // Doubled markers (a Markdown habit): the inner pair.
    assert_eq!(
        line("**bold**"),
        [text("*"), Inline::Bold(vec![text("bold")]), text("*")]
    );
    assert_eq!(
        line("(*yes*), \"_quoted_\""),
        [
            text("("),
            Inline::Bold(vec![text("yes")]),
            text("), \""),
            Inline::Italic(vec![text("quoted")]),
            text("\""),
        ]
    );
}

#[test]
fn code_spans_hold_markers_links_and_mentions_as_text() {
    assert_eq!(
        line("run `*not* _this_ https://x.io @mike` now"),
        [
            text("run "),
            Inline::Code("*not* _this_ https://x.io @mike".into()),
            text(" now"),
        ]
    );
    // A code span inside bold, a bold marker inside a code span.
    assert_eq!(
        line("*see `a*b`*"),
        [Inline::Bold(vec![text("see "), Inline::Code("a*b".into())])]
    );
    assert_eq!(line("`` and ` alone"), [text("`` and ` alone")]);
}

#[test]
fn formatting_never_spans_lines() {
    assert_eq!(
        line("*one\ntwo*"),
        [text("*one"), Inline::Break, text("two*")]
    );
}

#[test]
fn links_end_where_a_reader_expects() {
    assert_eq!(
        line("see https://en.wikipedia.org/wiki/Link_(The_Legend_of_Zelda)."),
        [
            text("see "),
            link(
                "https://en.wikipedia.org/wiki/Link_(The_Legend_of_Zelda)",
                "https://en.wikipedia.org/wiki/Link_(The_Legend_of_Zelda)"
            ),
            text("."),
        ]
    );
    assert_eq!(
        line("(https://example.com/a), then"),
        [
            text("("),
            link("https://example.com/a", "https://example.com/a"),
            text("), then"),
        ]
    );
    assert_eq!(
        line("Is it http://example.com?"),
        [
            text("Is it "),
            link("http://example.com/", "http://example.com"),
            text("?"),
        ]
    );
}

#[test]
fn www_and_mailto_are_links_and_underscores_in_links_are_not_italics() {
    assert_eq!(
        line("www.example.com/a_b_c!"),
        [
            link("https://www.example.com/a_b_c", "www.example.com/a_b_c"),
            text("!"),
        ]
    );
    assert_eq!(
        line("write to mailto:sara@example.com."),
        [
            text("write to "),
            link("mailto:sara@example.com", "mailto:sara@example.com"),
            text("."),
        ]
    );
    assert_eq!(
        line("*read https://x.io/a_b*"),
        [Inline::Bold(vec![
            text("read "),
            link("https://x.io/a_b", "https://x.io/a_b"),
        ])]
    );
}

#[test]
fn nothing_else_is_ever_a_link() {
    for body in [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)//https://x.io",
        "data:text/html,<script>alert(1)</script>",
        "example.com",
        "mail me@example.com",
        "ftp://files.example.com",
        "file:///etc/passwd",
        "<a href=\"https://x.io\">x</a>",
    ] {
        let links: Vec<Inline> = line(body)
            .into_iter()
            .filter(
                |run| matches!(run, Inline::Link(link) if !link.href.starts_with("https://x.io")),
            )
            .collect();
        assert!(links.is_empty(), "{body}: {links:?}");
    }
    // Whatever a link is, it goes to http(s) or mailto.
    let hostile = "javascript:alert(1)//https://x.io <b>https://x.io\"onmouseover=alert(1)</b>";
    for run in line(hostile) {
        if let Inline::Link(link) = run {
            assert!(link.href.starts_with("https://x.io"), "{link:?}");
            assert!(!link.href.contains('"'), "{link:?}");
        }
    }
    // HTML is text: drawn as typed, never as markup.
    assert_eq!(line("<b>hi</b>"), [text("<b>hi</b>")]);
}

#[test]
fn a_host_in_another_script_is_shown_as_the_browser_reads_it() {
    // A Cyrillic "а" in place of the Latin one.
    assert_eq!(
        line("https://\u{430}pple.com/login"),
        [link(
            "https://xn--pple-43d.com/login",
            "https://xn--pple-43d.com/login"
        )]
    );
    assert_eq!(
        line("https://example.com/caf\u{e9}"),
        [link(
            "https://example.com/caf%C3%A9",
            "https://example.com/caf\u{e9}"
        )]
    );
}

#[test]
fn mentions_are_whole_and_their_underscores_are_not_italics() {
    assert_eq!(
        line("_hi @mike_s!_"),
        [Inline::Italic(vec![
            text("hi "),
            Inline::Mention {
                text: "@mike_s".into(),
                username: "mike_s".into(),
            },
            text("!"),
        ])]
    );
    assert_eq!(plain("_hi @mike_s!_"), "hi @mike_s!");
}

#[test]
fn blocks_code_quotes_and_lists() {
    let body = "Plan:\n- *first*\n- second\n1. one\n2. two\n> said _so_\n> twice\n```\nfn main() {\n  *x* = 1;\n}\n```\nbye";
    assert_eq!(
        parse(body),
        [
            Block::Paragraph(vec![text("Plan:")]),
            Block::List {
                start: None,
                items: vec![
                    vec![Inline::Bold(vec![text("first")])],
                    vec![text("second")]
                ],
            },
            Block::List {
                start: Some(1),
                items: vec![vec![text("one")], vec![text("two")]],
            },
            Block::Quote(vec![
                text("said "),
                Inline::Italic(vec![text("so")]),
                Inline::Break,
                text("twice"),
            ]),
            Block::Code("fn main() {\n  *x* = 1;\n}".into()),
            Block::Paragraph(vec![text("bye")]),
        ]
    );
    assert_eq!(
        plain(body),
        "Plan:\n- first\n- second\n1. one\n2. two\nsaid so\ntwice\nfn main() {\n  *x* = 1;\n}\nbye"
    );
}

#[test]
fn code_blocks_on_one_line_and_unclosed_fences() {
    assert_eq!(
        parse("```let *a* = 1```"),
        [Block::Code("let *a* = 1".into())]
    );
    assert_eq!(
        parse("```\nnot closed\n*b*"),
        [Block::Paragraph(vec![
            text("```"),
            Inline::Break,
            text("not closed"),
            Inline::Break,
            Inline::Bold(vec![text("b")]),
        ])]
    );
    assert_eq!(
        parse("3. from three\n4. four"),
        [Block::List {
            start: Some(3),
            items: vec![vec![text("from three")], vec![text("four")]],
        }]
    );
    assert_eq!(plain("3. from three\n4. four"), "3. from three\n4. four");
    // A year is not a list; a dash with nothing after it is not an item.
    assert_eq!(line("2024. What a year"), [text("2024. What a year")]);
    assert_eq!(line("- "), [text("- ")]);
}

#[test]
fn hostile_bodies_are_read_in_linear_time_and_kept_whole() {
    // Each of these is quadratic for a parser that scans ahead from every
    // opener: 200 000 characters would take minutes there, not milliseconds.
    let asterisks = "*".repeat(10_000);
    assert!(
        plain(&asterisks) == asterisks,
        "10 000 asterisks stay as typed"
    );
    for body in [
        "a`".repeat(100_000),
        "`".repeat(200_000),
        "*a ".repeat(70_000),
        "_*~".repeat(70_000),
        "```\n".repeat(50_000),
        "> ".repeat(100_000),
        "(https://x.io/".repeat(10_000),
    ] {
        assert!(plain(&body).len() <= body.len());
    }
}

#[test]
fn ctrl_b_wraps_the_selection_and_keeps_it_selected() {
    assert_eq!(
        wrap_selection("say hi now", 4, 6, '*'),
        ("say *hi* now".into(), 5, 7)
    );
    // Nothing selected: the caret between a new pair.
    assert_eq!(wrap_selection("ab", 1, 1, '_'), ("a__b".into(), 2, 2));
    // Offsets count UTF-16 units: an emoji is two.
    assert_eq!(wrap_selection("😀 go", 3, 5, '*'), ("😀 *go*".into(), 4, 6));
    // Backwards or past the end: clamped.
    assert_eq!(wrap_selection("go", 9, 0, '~'), ("~go~".into(), 1, 3));
}

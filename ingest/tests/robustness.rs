//! Hostile and broken files: each gets its typed outcome or flag, no panic escapes, nothing
//! runs past its budget. Files are built here (and with `qpdf` / `pdftoppm` where a real tool
//! is the honest way to make them).

use std::process::Command;
use std::time::{Duration, Instant};

use atzinums_ingest::{ExtractOptions, FailureKind, PageSource, Sandbox, SandboxLimits};

fn sandbox(wall_secs: u64) -> Sandbox {
    Sandbox::new(
        env!("CARGO_BIN_EXE_atzinums-extract"),
        vec![],
        SandboxLimits {
            wall_time: Duration::from_secs(wall_secs),
            cpu_time: Duration::from_secs(wall_secs),
            memory_bytes: 1024 * 1024 * 1024,
            max_input_bytes: 50 * 1024 * 1024,
        },
    )
}

/// A PDF from object bodies (object 1 is the catalog), with a correct cross-reference table.
fn build_pdf(objects: &[String]) -> Vec<u8> {
    build_pdf_bytes(objects.iter().map(|o| o.as_bytes().to_vec()).collect())
}

/// The same for bodies that may hold binary streams (images).
fn build_pdf_bytes(bodies: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", bodies.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            bodies.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(content: &[u8]) -> String {
    format!(
        "<< /Length {} >>\nstream\n{}\nendstream",
        content.len(),
        String::from_utf8_lossy(content)
    )
}

/// A text PDF with one page per entry; `extra_catalog` goes into the catalog (e.g. JavaScript).
fn text_pdf(pages: &[String], extra_catalog: &str) -> Vec<u8> {
    let n = pages.len();
    // 1 catalog, 2 pages, 3 font, then per page: page object and its content stream.
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    let mut objects = vec![
        format!("<< /Type /Catalog /Pages 2 0 R {extra_catalog} >>"),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {n} /MediaBox [0 0 595 842] >>",
            kids.join(" ")
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
    ];
    for (i, text) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        let lines: String = text
            .lines()
            .map(|l| format!("({l}) Tj 0 -14 Td "))
            .collect();
        objects.push(stream(
            format!("BT /F1 11 Tf 50 780 Td {lines}ET").as_bytes(),
        ));
    }
    build_pdf(&objects)
}

const REFERRAL: &str =
    "Nosutijums 088/u\nDiagnoze: G35 Multipla skleroze\nEDSS 6,0. Staiga ar spieki lidz 100 m.";

fn referral_pdf() -> Vec<u8> {
    text_pdf(&[REFERRAL.to_string()], "")
}

fn tool(name: &str) {
    assert!(
        Command::new(name).arg("--version").output().is_ok(),
        "{name} is needed for this test: apt-get install -y qpdf poppler-utils tesseract-ocr tesseract-ocr-lav"
    );
}

fn run_tool(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn text_layer_pdf_is_read_page_by_page() {
    let doc = sandbox(30)
        .extract(&referral_pdf(), &ExtractOptions::default())
        .unwrap();
    assert_eq!(doc.pages.len(), 1);
    assert_eq!(doc.pages[0].source, PageSource::TextLayer);
    assert!(
        doc.pages[0].text.contains("G35 Multipla skleroze"),
        "{}",
        doc.pages[0].text
    );
    assert!(!doc.pages[0].needs_human);
}

#[test]
fn encrypted_and_owner_password_only() {
    tool("qpdf");
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    std::fs::write(&plain, referral_pdf()).unwrap();
    let locked = dir.path().join("locked.pdf");
    let owner_only = dir.path().join("owner.pdf");
    run_tool(
        Command::new("qpdf")
            .args(["--encrypt", "lietotajs", "ipasnieks", "256", "--"])
            .arg(&plain)
            .arg(&locked),
    );
    run_tool(
        Command::new("qpdf")
            .args(["--encrypt", "", "ipasnieks", "256", "--print=none", "--"])
            .arg(&plain)
            .arg(&owner_only),
    );

    let err = sandbox(30)
        .extract(&std::fs::read(&locked).unwrap(), &ExtractOptions::default())
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::Encrypted, "{err}");
    let doc = sandbox(30)
        .extract(
            &std::fs::read(&owner_only).unwrap(),
            &ExtractOptions::default(),
        )
        .unwrap();
    assert!(
        doc.pages[0].text.contains("G35"),
        "owner-password-only PDFs open: {:?}",
        doc.pages[0].text
    );
}

#[test]
fn truncated_empty_and_foreign_bytes() {
    let pdf = referral_pdf();
    let s = sandbox(30);
    for (name, bytes, expected) in [
        ("zero bytes", Vec::new(), FailureKind::Corrupt),
        (
            "truncated at 10 bytes",
            pdf[..10].to_vec(),
            FailureKind::Corrupt,
        ),
        (
            "random binary",
            vec![0x01, 0x02, 0x00, 0xFF, 0x13, 0x37],
            FailureKind::Unsupported,
        ),
    ] {
        let err = s.extract(&bytes, &ExtractOptions::default()).unwrap_err();
        assert_eq!(err.kind, expected, "{name}: {err}");
    }
    // Cut in half: the text may survive (the parser repairs what it can) or the file is
    // reported damaged; either way a typed answer, never a crash.
    match s.extract(&pdf[..pdf.len() / 2], &ExtractOptions::default()) {
        Ok(doc) => assert!(!doc.pages.is_empty()),
        Err(e) => assert!(
            matches!(e.kind, FailureKind::Corrupt | FailureKind::NoTextLayer),
            "{e}"
        ),
    }
}

#[test]
fn javascript_is_ignored_and_text_kept() {
    let pdf = text_pdf(
        &[REFERRAL.to_string()],
        "/OpenAction << /S /JavaScript /JS (app.alert\\('x'\\); while\\(true\\){}) >>",
    );
    let doc = sandbox(30)
        .extract(&pdf, &ExtractOptions::default())
        .unwrap();
    assert!(doc.pages[0].text.contains("EDSS 6,0"));
}

#[test]
fn three_hundred_pages_within_budget() {
    let pages: Vec<String> = (1..=300).map(|i| format!("Lapa {i}\n{REFERRAL}")).collect();
    let started = Instant::now();
    let doc = sandbox(60)
        .extract(&text_pdf(&pages, ""), &ExtractOptions::default())
        .unwrap();
    assert_eq!(doc.pages.len(), 300);
    assert!(
        doc.pages[299].text.starts_with("Lapa 300"),
        "{}",
        doc.pages[299].text
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let mut big = referral_pdf();
    big.resize(60 * 1024 * 1024, b' ');
    let err = sandbox(30)
        .extract(&big, &ExtractOptions::default())
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::TooLarge, "{err}");
    assert!(err.detail.contains("50"), "{err}");
}

#[test]
fn deeply_nested_objects_do_not_crash_the_worker() {
    let depth = 200_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let pdf = build_pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        format!("<< /Type /Page /Parent 2 0 R /Deep {nested} >>"),
    ]);
    let started = Instant::now();
    let result = sandbox(20).extract(&pdf, &ExtractOptions::default());
    assert!(started.elapsed() < Duration::from_secs(25));
    let err = result.expect_err("a page of nothing but nesting has no text");
    assert!(
        matches!(
            err.kind,
            FailureKind::Corrupt | FailureKind::NoTextLayer | FailureKind::TooLarge
        ),
        "{err}"
    );
}

#[test]
fn a_hang_is_cut_at_the_wall_clock() {
    // `sleep` stands in for a parser that never returns: the budget must still hold.
    let hang = Sandbox::new(
        "sleep",
        vec!["30".into()],
        SandboxLimits {
            wall_time: Duration::from_secs(1),
            cpu_time: Duration::from_secs(1),
            memory_bytes: 256 * 1024 * 1024,
            max_input_bytes: 1024,
        },
    );
    let started = Instant::now();
    let err = hang
        .extract(b"%PDF-1.7", &ExtractOptions::default())
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn utf16_and_windows_1257_text_files() {
    let text = "Izraksts: slimības vēsture, ģimenes ārsts, ļoti smagi, šķidrums";
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let quoted = format!("{text} „x”");
    let (w1257, _, _) = encoding_rs::WINDOWS_1257.encode(&quoted);
    for (bytes, encoding) in [(utf16, "UTF-16LE"), (w1257.into_owned(), "windows-1257")] {
        let doc = sandbox(30)
            .extract(&bytes, &ExtractOptions::default())
            .unwrap();
        assert_eq!(doc.encoding.as_deref(), Some(encoding));
        assert!(
            doc.pages[0].text.starts_with(text),
            "{encoding}: {}",
            doc.pages[0].text
        );
    }
}

/// Renders the referral PDF to an image with poppler, as a scanner would produce it.
fn scanned_page(format: &str) -> Vec<u8> {
    tool("pdftoppm");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("in.pdf");
    std::fs::write(&pdf, referral_pdf()).unwrap();
    let flag = if format == "png" { "-png" } else { "-jpeg" };
    run_tool(
        Command::new("pdftoppm")
            .args([flag, "-r", "200", "-singlefile"])
            .arg(&pdf)
            .arg(dir.path().join("page")),
    );
    std::fs::read(dir.path().join(format!(
        "page.{}",
        if format == "png" { "png" } else { "jpg" }
    )))
    .unwrap()
}

#[test]
fn png_named_pdf_is_read_as_a_scan() {
    tool("tesseract");
    let png = scanned_page("png");
    // The declared name or type does not matter: content decides.
    let doc = sandbox(60)
        .extract(&png, &ExtractOptions::default())
        .unwrap();
    assert!(doc.is_scanned());
    let page = &doc.pages[0];
    let PageSource::Ocr { confidence } = page.source else {
        panic!("expected OCR")
    };
    assert!(confidence > 50.0, "confidence {confidence}");
    assert!(page.text.contains("G35"), "{}", page.text);
}

#[test]
fn image_only_pdf_is_ocred_and_unreadable_pages_are_flagged() {
    tool("tesseract");
    let jpeg = scanned_page("jpeg");
    let (w, h) = jpeg_size(&jpeg);
    let image_pdf = |image: &[u8]| {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        ];
        let mut image_obj = format!(
            "<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceRGB \
             /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
            image.len()
        )
        .into_bytes();
        image_obj.extend_from_slice(image);
        image_obj.extend_from_slice(b"\nendstream");
        let mut bodies: Vec<Vec<u8>> = objects.iter().map(|o| o.as_bytes().to_vec()).collect();
        bodies.push(image_obj);
        bodies.push(stream(b"q 595 0 0 842 0 0 cm /Im1 Do Q").into_bytes());
        build_pdf_bytes(bodies)
    };
    let doc = sandbox(60)
        .extract(&image_pdf(&jpeg), &ExtractOptions::default())
        .unwrap();
    assert!(doc.is_scanned());
    assert!(doc.pages[0].text.contains("G35"), "{}", doc.pages[0].text);

    // With OCR unavailable (switched off) the page is flagged for a person, never silently empty.
    let off = ExtractOptions {
        ocr: false,
        ..ExtractOptions::default()
    };
    let err = sandbox(60).extract(&image_pdf(&jpeg), &off).unwrap_err();
    assert_eq!(err.kind, FailureKind::NoTextLayer);
}

/// Width and height from a JPEG's SOF marker.
fn jpeg_size(jpeg: &[u8]) -> (u32, u32) {
    let mut i = 2;
    while i + 9 < jpeg.len() {
        let marker = jpeg[i + 1];
        let len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
        if (0xC0..=0xC2).contains(&marker) {
            let h = u16::from_be_bytes([jpeg[i + 5], jpeg[i + 6]]) as u32;
            let w = u16::from_be_bytes([jpeg[i + 7], jpeg[i + 8]]) as u32;
            return (w, h);
        }
        i += 2 + len;
    }
    panic!("no SOF marker")
}

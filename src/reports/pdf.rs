//! The PDF engine, behind one function: `typst` used as a library.
//!
//! Why typst: the doctor's page needs real tables, line breaking of long medication names
//! and notes, and text that `pdftotext` reads back; typst gives that from a small template
//! (`doctor.typ`) that reads its data as JSON, lays out a page in about a tenth of a second,
//! and embeds the fonts it used. `printpdf` or `krilla` would need the layout written by
//! hand. The fonts (DejaVu Sans, from Debian's `fonts-dejavu-core`, licence beside them) are
//! compiled into the binary: no system fonts at run time, nothing downloaded at build time.

use std::collections::HashMap;
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

static FONT_FILES: [&[u8]; 2] = [
    include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
    include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
];

/// What every document shares, made once: the standard library and the fonts.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

fn file_id(name: &str) -> Result<FileId, String> {
    let path = VirtualPath::new(name).map_err(|e| format!("pdf: bad file name {name}: {e:?}"))?;
    Ok(RootedPath::new(VirtualRoot::Project, path).intern())
}

/// One document: the template as the main source, and the files it may read.
struct Document {
    main: Source,
    files: HashMap<FileId, Bytes>,
}

impl World for Document {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        // The template is given its dates; it never asks the clock.
        None
    }
}

/// Lays out `template` with `files` (name → contents) and answers the PDF.
pub fn render(template: &str, files: Vec<(&str, Vec<u8>)>) -> Result<Vec<u8>, String> {
    let main = Source::new(file_id("main.typ")?, template.to_owned());
    let files = files
        .into_iter()
        .map(|(name, data)| Ok((file_id(name)?, Bytes::new(data))))
        .collect::<Result<HashMap<_, _>, String>>()?;
    let document = Document { main, files };
    let laid_out: PagedDocument = typst::compile(&document)
        .output
        .map_err(|errors| format!("pdf layout: {:?}", errors.first().map(|e| &e.message)))?;
    typst_pdf::pdf(&laid_out, &typst_pdf::PdfOptions::default())
        .map_err(|errors| format!("pdf export: {:?}", errors.first().map(|e| &e.message)))
}

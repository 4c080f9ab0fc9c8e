//! Loading a GGUF through a JavaScript range reader, so that the whole file is never in wasm
//! memory: the header is read in growing prefixes until it parses, then each tensor is read,
//! uploaded to the GPU and dropped before the next (peak = the largest tensor plus the header).
//! The reader (the npm package's) serves ranges from HTTP range requests, the Cache API or a
//! `File`; its errors (network, quota, abort) reach JavaScript unchanged.

use mistral_engine::model::RawTensorSource;
use mistral_engine::EngineError;
use mistral_formats::byte_source::PrefixSource;
use mistral_formats::{FormatError, ModelFile, ModelTensor};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::errors::{WebError, WebResult};

#[wasm_bindgen]
extern "C" {
    /// `{ size: number, read(offset: number, length: number): Promise<Uint8Array> }`
    #[wasm_bindgen(typescript_type = "RangeReader")]
    pub type RangeReader;

    #[wasm_bindgen(method, getter)]
    fn size(this: &RangeReader) -> f64;

    #[wasm_bindgen(method, catch)]
    fn read(this: &RangeReader, offset: f64, length: f64) -> Result<js_sys::Promise, JsValue>;
}

#[wasm_bindgen(typescript_custom_section)]
const RANGE_READER_TS: &str = r#"
/** A model file's bytes: `read` resolves to exactly `length` bytes at `offset`. */
export interface RangeReader {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}
"#;

/// First guess at the header size; a GGUF with a large vocabulary (merges, scores) needs more,
/// and the parser says how much.
const FIRST_HEADER_BYTES: u64 = 4 << 20;

/// Reads `[offset, offset + len)` through the JavaScript reader.
pub async fn read_range(reader: &RangeReader, offset: u64, len: u64) -> WebResult<Vec<u8>> {
    let promise = reader
        .read(offset as f64, len as f64)
        .map_err(WebError::Js)?;
    let value = JsFuture::from(promise).await.map_err(WebError::Js)?;
    let array: js_sys::Uint8Array = value.dyn_into().map_err(|_| {
        WebError::new(
            crate::errors::Code::Internal,
            "the model reader's read() must resolve to a Uint8Array",
        )
    })?;
    if array.length() as u64 != len {
        return Err(WebError::new(
            crate::errors::Code::UnsupportedFile,
            format!(
                "the model reader returned {} bytes at offset {offset}, {len} were asked for (is the file truncated?)",
                array.length()
            ),
        ));
    }
    Ok(array.to_vec())
}

pub fn reader_size(reader: &RangeReader) -> u64 {
    reader.size().max(0.0) as u64
}

/// Parses the GGUF header (metadata and tensor table) from as short a prefix as it needs.
pub async fn read_header(reader: &RangeReader) -> WebResult<ModelFile> {
    read_header_from(reader, FIRST_HEADER_BYTES).await
}

/// [`read_header`] starting with a prefix of `first_bytes` (tests start tiny to exercise the
/// growing reads).
pub async fn read_header_from(reader: &RangeReader, first_bytes: u64) -> WebResult<ModelFile> {
    let total = reader_size(reader);
    let mut prefix = read_range(reader, 0, first_bytes.min(total)).await?;
    loop {
        // A copy per attempt (a few MB, a few attempts): the parser owns its source.
        let source = PrefixSource {
            prefix: prefix.clone(),
            total_len: total,
        };
        match ModelFile::from_gguf(Box::new(source)) {
            Ok(file) => return Ok(file),
            Err(FormatError::PrefixTooShort { needed }) if needed > prefix.len() as u64 => {
                // Grow geometrically: a header's strings are parsed one after another.
                let have = prefix.len() as u64;
                let want = needed.max(have * 2).min(total);
                prefix.extend(read_range(reader, have, want - have).await?);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Feeds the uploader tensor by tensor, reporting uploaded bytes.
pub struct ReaderSource<'a, F: FnMut(u64, u64)> {
    pub reader: &'a RangeReader,
    pub done_bytes: u64,
    pub total_bytes: u64,
    pub progress: F,
    /// A JavaScript error from the reader, handed back to the caller unchanged (the uploader's
    /// error type cannot carry it).
    pub js_error: Option<JsValue>,
}

impl<F: FnMut(u64, u64)> RawTensorSource for ReaderSource<'_, F> {
    async fn read(&mut self, t: &ModelTensor) -> Result<Vec<u8>, EngineError> {
        match read_range(self.reader, t.offset, t.n_bytes).await {
            Ok(bytes) => {
                self.done_bytes += t.n_bytes;
                (self.progress)(self.done_bytes, self.total_bytes);
                Ok(bytes)
            }
            Err(WebError::Js(v)) => {
                self.js_error = Some(v);
                Err(EngineError::Shape(format!("reading tensor {}", t.name)))
            }
            Err(WebError::Coded(_, msg)) => Err(EngineError::Shape(msg)),
        }
    }
}

/// A reader over bytes already in memory (the browser tests'; a page uses the npm package's).
pub fn memory_reader(bytes: Vec<u8>) -> RangeReader {
    let data = js_sys::Uint8Array::from(bytes.as_slice());
    let obj = js_sys::Object::new();
    let size = data.length();
    let read =
        Closure::<dyn Fn(f64, f64) -> js_sys::Promise>::new(move |offset: f64, length: f64| {
            let (a, b) = (offset as u32, (offset + length) as u32);
            let chunk: JsValue = data.slice(a, b.min(size)).into();
            js_sys::Promise::resolve(&chunk).unchecked_into::<js_sys::Promise>()
        });
    let _ = js_sys::Reflect::set(&obj, &"size".into(), &(size as f64).into());
    let _ = js_sys::Reflect::set(&obj, &"read".into(), read.as_ref());
    // The reader lives as long as the page: tests create a handful.
    read.forget();
    obj.unchecked_into()
}

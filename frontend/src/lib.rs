//! The browser entry point: hydrate the server-rendered page.

// Leptos' statically typed views nest deeply.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::hydrate();
}

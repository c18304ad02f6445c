//! The uniffi bindgen, built from the workspace so that its version always
//! matches the uniffi version of the `ingate-kotlin` library.

fn main() {
    uniffi::uniffi_bindgen_main()
}

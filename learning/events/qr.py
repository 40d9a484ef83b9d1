"""QR codes drawn by the server as SVG: no outside service, works offline."""

import io

import segno


def qr_svg(data: str, scale: int = 8) -> str:
    """Return an inline SVG QR code for `data` (error correction M, quiet zone kept).

    micro=False: phone cameras read standard QR codes, not Micro QR. omitsize keeps only the
    viewBox, so CSS decides the printed size.
    """
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(
        buffer,
        kind="svg",
        scale=scale,
        xmldecl=False,
        svgns=True,
        omitsize=True,
        title="QR",
        dark="#000",
        light="#fff",
    )
    return buffer.getvalue().decode("utf-8")

"""The page `playbook web-export` writes, in a real browser (Debian's headless Chromium, driven by Playwright): waits
until the page has loaded its WebAssembly client, model and scorer, then transcribes each WAV twice, as the page would:
its 16 kHz samples handed to the page's transcribe() directly, and the file given to its file picker (decoded by
the browser). The microphone is live_page.py's job: the page has the live page's controls.

    web_page.py URL WAV... [--screenshot PNG]   prints {"ready_s", "isolated", "ready_status", "files": [{"file", "text", "picked", "seconds",
                              "audio_s"}], "status"}
    web_page.py URL           a page that fails to load: prints {"status", "error"}, the sentence it shows

Runs in the image of harness/browser/Dockerfile."""
import argparse
import array
import json
import sys
import time
import wave

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
STATUS = """() => ({status: document.getElementById("status").textContent,
                    error: document.getElementById("status").className === "error",
                    isolated: self.crossOriginIsolated})"""


def samples(path):
    with wave.open(path) as audio:
        if (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) != (1, 2, 16000):
            sys.exit("{}: 16 kHz mono 16-bit WAV only".format(path))
        data = array.array("h", audio.readframes(audio.getnframes()))
    if sys.byteorder != "little":
        data.byteswap()
    return data.tolist()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("wavs", nargs="*")
    parser.add_argument("--screenshot", help="a PNG of the page once it has transcribed the files")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 900, "height": 600})
        console = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(args.url)
        opened = time.monotonic()
        try:
            ready_s = page.evaluate("() => window.webPage.ready")
        except Exception as error:  # the page says why in its status line; the test reads that
            print(json.dumps(dict(page.evaluate(STATUS), exception=str(error).splitlines()[0], console=console[-5:])))
            browser.close()
            return
        loaded_s = time.monotonic() - opened
        ready = page.evaluate(STATUS)
        files = []
        for path in args.wavs:
            audio = samples(path)
            direct = page.evaluate("samples => window.webPage.transcribe(samples)", audio)
            lines = page.evaluate("() => document.querySelectorAll('#finals p').length")
            page.set_input_files("#file", path)
            page.wait_for_function("lines => document.querySelectorAll('#finals p').length > lines "
                                   "|| document.getElementById('status').className === 'error'", arg=lines)
            picked = page.evaluate("() => [...document.querySelectorAll('#finals p')].pop().textContent")
            name = path.rsplit("/", 1)[-1]
            files.append({"file": path, "text": direct["text"], "seconds": round(direct["seconds"], 4),
                          "audio_s": round(len(audio) / 16000.0, 3),
                          "picked": picked[len(name) + 2:] if picked.startswith(name + ": ") else picked})
        state = page.evaluate(STATUS)
        if args.screenshot:
            page.screenshot(path=args.screenshot, full_page=True)
        browser.close()
    print(json.dumps({"ready_s": round(ready_s, 3), "loaded_s": round(loaded_s, 3), "isolated": ready["isolated"],
                      "ready_status": ready["status"], "status": state["status"], "error": state["error"], "files": files}))


if __name__ == "__main__":
    main()

"""The live page (stt_device/live/index.html) in a real browser: Debian's headless Chromium, driven by Playwright, with
a WAV file as its microphone (Chromium's fake capture device, played once in real time, then silence). Presses Start
and watches the page as a user does: the partial text as it changes, the final text, the status line.

    live_page.py URL WAV [--screenshot PNG]   prints {"partials": [[seconds, text]...], "final": ..., "listening_s": ...,
                                              "status": ...}
    live_page.py URL --refuse                 the microphone refused: prints the status line the page shows

Seconds count from the click on Start. Runs in the image of harness/browser/Dockerfile."""
import argparse
import json
import time
import wave

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
STATE = """() => ({partial: document.getElementById("partial").textContent,
                   finals: [...document.querySelectorAll("#finals p")].map(line => line.textContent),
                   status: document.getElementById("status").textContent,
                   error: document.getElementById("status").className === "error"})"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("wav", nargs="?")
    parser.add_argument("--refuse", action="store_true", help="deny the page the microphone")
    parser.add_argument("--screenshot", help="a PNG of the page once it shows a partial text of three words or more")
    args = parser.parse_args()
    flags = ["--use-fake-device-for-media-stream"]
    if args.refuse:  # the fake permission prompt answers "Block", as a user who refuses does
        flags.append("--use-fake-ui-for-media-stream=deny")
        audio_s = 0.0
    else:
        flags += ["--use-fake-ui-for-media-stream", "--use-file-for-fake-audio-capture={}%noloop".format(args.wav)]
        with wave.open(args.wav) as audio:
            audio_s = audio.getnframes() / float(audio.getframerate())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        page = browser.new_page(viewport={"width": 900, "height": 560})
        page.goto(args.url)
        started = time.monotonic()
        page.click("#toggle")
        partials, state, shot, listening_s = [], {}, None, None
        while time.monotonic() - started < audio_s + 20:
            state = page.evaluate(STATE)
            if listening_s is None and state["status"].startswith("Listening"):
                listening_s = round(time.monotonic() - started, 3)  # the microphone joined to the page's audio graph
            if state["partial"] and (not partials or partials[-1][1] != state["partial"]):
                partials.append([round(time.monotonic() - started, 3), state["partial"]])
                if args.screenshot and shot is None and len(state["partial"].split()) >= 3:
                    page.screenshot(path=args.screenshot)
                    shot = state["partial"]
            if state["finals"] or state["error"]:
                break
            time.sleep(0.05)
        ended = round(time.monotonic() - started, 3)
        browser.close()
    print(json.dumps({"audio_s": round(audio_s, 3), "partials": partials, "final": (state.get("finals") or [None])[0],
                      "final_s": ended, "listening_s": listening_s, "status": state.get("status"), "error": state.get("error"),
                      "screenshot_partial": shot}))


if __name__ == "__main__":
    main()

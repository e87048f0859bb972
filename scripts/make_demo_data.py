#!/usr/bin/env python3
"""Generate the bundled demo dataset ``advisor/demo/data/support_tickets.jsonl``.

Synthetic customer-support ticket intent classification for "Orbitly", a
fictional company that sells smart-home hardware through an online store and
runs a subscription app (Plus / Pro / Family / Business plans).

Standard library only and fully deterministic (``random.Random(20261123)``):
running the script twice produces byte-identical output. It also rewrites
``advisor/demo/data/README.md`` with the counts it computed, and prints them.

Usage::

    python scripts/make_demo_data.py            # writes the files
    python scripts/make_demo_data.py --check    # generate, compare with files on disk

Labelling rules used by the templates (the same rules a reader should apply):

* ``refund``    -- the customer wants money back: duplicate charge refunded,
  charged after cancelling, returning an item for its money, refund status.
* ``billing``   -- charges, invoices, prices, payment methods, failed or
  pending payments, with no request for money back.
* ``account``   -- sign-in credentials, 2FA, password resets, locked
  accounts, changing the account email, deleting the account, seats/admins.
* ``technical`` -- the product or app misbehaves: crashes, sync errors,
  devices offline, failed firmware, a sign-in *screen* that is broken while
  the credentials are fine.
* ``shipping``  -- delivery status, tracking, address changes, missing or
  wrong items, damaged items where a *replacement* (not money) is wanted.
* ``feedback``  -- praise, suggestions, feature requests and general
  complaints with no concrete request.
"""

# ruff: noqa: E501  (long template strings are easier to read unwrapped)
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

Row = dict[str, Any]

SEED = 20261123
ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "advisor" / "demo" / "data"
OUT_JSONL = OUT_DIR / "support_tickets.jsonl"
OUT_README = OUT_DIR / "README.md"

LABELS = ["billing", "technical", "account", "shipping", "refund", "feedback"]
SLICES = ["email", "chat", "app_review", "voice_transcript"]
SLICE_SIZES = {"email": 220, "chat": 220, "app_review": 160, "voice_transcript": 120}
# Per-slice label shares (uneven; feedback rarest overall, commoner in reviews).
SLICE_SHARES = {
    "email": {"billing": 0.22, "technical": 0.18, "account": 0.16, "shipping": 0.20, "refund": 0.16, "feedback": 0.08},
    "chat": {"billing": 0.20, "technical": 0.24, "account": 0.18, "shipping": 0.20, "refund": 0.12, "feedback": 0.06},
    "app_review": {
        "billing": 0.14,
        "technical": 0.27,
        "account": 0.11,
        "shipping": 0.12,
        "refund": 0.16,
        "feedback": 0.20,
    },
    "voice_transcript": {
        "billing": 0.22,
        "technical": 0.20,
        "account": 0.20,
        "shipping": 0.18,
        "refund": 0.12,
        "feedback": 0.08,
    },
}
HARD_SHARE = 0.08
WORD_RANGES = {"email": (40, 120), "chat": (5, 20), "app_review": (15, 60), "voice_transcript": (20, 60)}
# Word-count threshold below which metadata.length is "short".
SHORT_BELOW = {"email": 65, "chat": 11, "app_review": 30, "voice_transcript": 40}

# --------------------------------------------------------------------------
# Slot fillers
# --------------------------------------------------------------------------

PRODUCTS = [
    "Orbitly Hub 2",
    "Halo smart bulb 4-pack",
    "Nimbus air purifier",
    "Pulse video doorbell",
    "Drift robot vacuum",
    "Aura smart plug 2-pack",
    "Beacon motion sensor",
    "Tempo smart thermostat",
    "Lumen LED strip",
    "Vesta indoor camera",
    "Vesta outdoor camera",
    "Orbitly mesh router",
    "Cove leak sensor",
    "Halo dimmer switch",
    "Pulse chime",
    "Nimbus Mini purifier",
]
PLANS = ["Plus", "Pro", "Family", "Business", "Starter", "Pro annual", "Plus monthly", "Family annual"]
IOS_DEVICES = ["iPhone 15", "iPhone 13", "iPhone 12 mini", "iPhone SE", "iPad Air", "iPad mini"]
ANDROID_DEVICES = ["Pixel 8", "Pixel 6a", "Galaxy S23", "Galaxy A54", "OnePlus 11", "Moto G Power", "Redmi Note 12"]
DESKTOPS = ["MacBook Air", "Windows 11 laptop", "Chromebook", "work PC"]
ERRORS = [
    '"Error 503: service unavailable"',
    '"ERR_SYNC_TIMEOUT"',
    '"Something went wrong (E-1042)"',
    '"Device offline"',
    '"Unable to reach Orbitly servers"',
    '"Pairing failed (code 17)"',
    '"Firmware update failed at 63%"',
    '"Error 500"',
    '"Camera stream unavailable"',
    '"Request timed out (E-2207)"',
    '"Unknown error 0x8004"',
    '"Hub not responding"',
]
CARRIERS = ["UPS", "FedEx", "USPS", "DHL", "Royal Mail", "Canada Post", "DPD", "Australia Post"]
FEATURES = [
    "a dark mode for the web dashboard",
    "bulk export of energy reports",
    "family sharing with guest access",
    "scheduled scenes based on sunset",
    "a home-screen widget for the cameras",
    "CSV export of device history",
    "Apple Watch controls",
    "an away mode that randomises the lights",
    "per-room notification settings",
    "offline control when the internet is down",
    "a way to rename devices in bulk",
    "Matter support for older hubs",
]
FIRST = [
    "Anna",
    "Marco",
    "Priya",
    "James",
    "Sofia",
    "Liam",
    "Chen",
    "Fatima",
    "Tom",
    "Elena",
    "Kwame",
    "Hannah",
    "Diego",
    "Yuki",
    "Olivia",
    "Rahul",
    "Grace",
    "Lukas",
    "Aisha",
    "Ben",
    "Nora",
    "Mateo",
]
LAST = [
    "Jensen",
    "Rossi",
    "Patel",
    "Walker",
    "Novak",
    "Murphy",
    "Wang",
    "Haddad",
    "Becker",
    "Silva",
    "Mensah",
    "Okafor",
    "Nakamura",
    "Brown",
    "Kowalski",
    "Garcia",
    "Lindqvist",
    "Dubois",
]
DOMAINS = [
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "proton.me",
    "fastmail.com",
    "northfield-dental.com",
    "brightlane.co",
    "kbarchitects.com",
]
CITIES = [
    "Leeds",
    "Austin",
    "Toronto",
    "Melbourne",
    "Denver",
    "Bristol",
    "Portland",
    "Calgary",
    "Brisbane",
    "Manchester",
    "Columbus",
    "Ottawa",
    "Sacramento",
    "Glasgow",
]
COUNTRIES = ["Ireland", "New Zealand", "Norway", "Mexico", "Portugal", "Singapore", "Iceland"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
AGENTS = ["Sam", "Jordan", "Maya", "Alex", "Riley", "Noah", "Leila", "Casey"]


def _amount(rng: random.Random) -> str:
    whole = rng.choice([4, 7, 9, 12, 14, 19, 24, 29, 34, 39, 49, 59, 69, 79, 89, 99, 119, 129, 149, 179, 199, 249])
    return f"${whole}.{rng.choice(['00', '99', '49', '95', '50'])}"


SLOT_FUNCS: dict[str, Callable[[random.Random], str]] = {
    "order": lambda r: f"#{r.choice('ABCKMRT')}{r.randint(10000, 99999)}",
    "amount": _amount,
    "product": lambda r: r.choice(PRODUCTS),
    "plan": lambda r: r.choice(PLANS),
    "device": lambda r: r.choice(IOS_DEVICES + ANDROID_DEVICES + (DESKTOPS if r.random() < 0.15 else [])),
    "phone": lambda r: r.choice(IOS_DEVICES + ANDROID_DEVICES),
    "error": lambda r: r.choice(ERRORS),
    "carrier": lambda r: r.choice(CARRIERS),
    "tracking": lambda r: f"{r.choice(['1Z', '94', 'JD', 'LX', '77'])}{r.randint(10**9, 10**10 - 1)}",
    "date": lambda r: f"{r.choice(MONTHS)} {r.randint(1, 28)}",
    "days": lambda r: str(r.randint(3, 19)),
    "years": lambda r: str(r.randint(2, 7)),
    "version": lambda r: f"{r.randint(4, 6)}.{r.randint(0, 19)}.{r.randint(0, 9)}",
    "feature": lambda r: r.choice(FEATURES),
    "first": lambda r: r.choice(FIRST),
    "last": lambda r: r.choice(LAST),
    "domain": lambda r: r.choice(DOMAINS),
    "invoice": lambda r: f"INV-{r.choice([2025, 2026])}-{r.randint(1000, 99999):05d}",
    "last4": lambda r: f"{r.randint(0, 9999):04d}",
    "city": lambda r: r.choice(CITIES),
    "country": lambda r: r.choice(COUNTRIES),
    "agent": lambda r: r.choice(AGENTS),
    "ref": lambda r: f"CX-{r.randint(100000, 999999)}",
    "seats": lambda r: str(r.randint(2, 6)),
}


class Slots(dict[str, str]):
    """Lazily generated slot values; one value per name per ticket."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> str:
        if key == "email":
            value = f"{self['first'].lower()}.{self['last'].lower()}@{self['domain']}"
        elif key == "name":
            value = f"{self['first']} {self['last']}"
        else:
            value = SLOT_FUNCS[key](self.rng)
        self[key] = value
        return value


_ALT = re.compile(r"\[([^\[\]]*)\]")


def expand(template: str, rng: random.Random, slots: Slots) -> str:
    """Resolve ``[a|b|c]`` alternations (innermost first), then ``{slot}`` fillers."""
    text = template
    while True:
        m = _ALT.search(text)
        if not m:
            break
        text = text[: m.start()] + rng.choice(m.group(1).split("|")) + text[m.end() :]
    text = text.format_map(slots)
    text = re.sub(r" {2,}", " ", text).replace(" ,", ",").replace(" .", ".").strip()
    return text


# --------------------------------------------------------------------------
# Templates: TEMPLATES[slice][label] = (normal templates, hard templates)
# App-review templates are (min_stars, max_stars, text).
# --------------------------------------------------------------------------

EMAIL = {
    "billing": (
        [
            "I am writing about invoice {invoice} for our {plan} subscription. The total shows {amount}, but [our plan was quoted at a lower price|the pricing page listed a lower figure|I expected the annual discount to apply]. Could you [explain how this amount was calculated|send me a breakdown of the charges|confirm which items are included]? [Our finance team needs a corrected copy before the end of the month.|I need this for our expense records.|]",
            "Our company card ending in {last4} [expires|expired] on {date} and I would like to update the payment method on our {plan} account [before the next renewal|so that the next invoice does not fail]. [I could not find the option in the billing settings.|The billing page only shows the old card.] Could you [advise on the correct steps|let me know how to do this]? [We would also like future invoices sent to accounts@{domain}.|]",
            "I [received|noticed] a [payment failed|payment declined] notice for my {plan} subscription on {date}, although my bank [says there are sufficient funds|confirms nothing was blocked on their side]. [Could you check what happened|Please let me know whether I need to re-enter my card details] and [confirm that my service will not be interrupted|retry the charge]? [I would prefer not to lose access to my automations.|]",
            "Could you please clarify [how proration works|why my invoice increased] when [upgrading from Plus to Pro|adding {seats} more seats|switching from monthly to annual billing]? The [invoice dated {date}|latest invoice] shows [a partial charge|an adjustment line] of {amount} that I do not [fully understand|recognise]. [I am not disputing it; I would simply like to understand it.|Please also confirm whether VAT is included.]",
        ],
        [
            "Your checkout page froze while I was paying for order {order}, and I am not sure whether the payment went through. My [card|banking app] shows a pending amount of {amount}[ but I have no confirmation email|]. Could you confirm whether I have actually been charged and whether the order was placed?",
        ],
    ),
    "technical": (
        [
            "Since [updating the app to version {version}|the latest firmware update|{date}], my {product} [keeps disconnecting from Wi-Fi|shows as offline in the app|ignores its schedules]. I have [restarted the router and the device|reset the device to factory settings|reinstalled the app on my {device}], but the problem persists[ and the app displays {error}|]. Could you [help me troubleshoot this|tell me whether this is a known issue]? [Order {order} for reference.|]",
            "The Orbitly app on my {device} crashes [immediately after launch|whenever I open the camera view|every time I try to add a new device]. [This started after the update on {date}.|It worked fine until last week.] I have [cleared the cache|reinstalled it twice|tried a different network] without success. [Please let me know if you need diagnostic logs.|I can send a screen recording if that helps.]",
            "We are unable to [export reports|sync automations|connect new sensors] from the web dashboard; [every attempt|the page] returns {error}. [This affects every user in our {plan} workspace.|Other browsers show the same behaviour.] Could you [investigate|escalate this to your engineering team]? [It is delaying our weekly reporting.|]",
            "The firmware update on my {product} [failed|stalled] [last night|on {date}] and the device is now [stuck with a blinking red light|completely unresponsive]. [I followed the instructions in the help centre|I kept it plugged in the whole time] and [the app still reports {error}|a power cycle did not help]. Is there a way to [recover it|roll back the firmware]?",
        ],
        [
            "I am unable to sign in through the mobile app on my {phone}: after entering my password, the app shows {error} and closes. Signing in on the website works normally, so my credentials are correct. [I have reinstalled the app once already.|]",
        ],
    ),
    "account": (
        [
            "I [recently changed my phone|replaced my {phone}] and [no longer have access to|lost] my authenticator app, so I cannot complete two-factor authentication when signing in. [My account email is {email}.|The account is registered under {email}.] Could you [help me reset 2FA|verify my identity another way] so that I can regain access? [I can provide order {order} as proof of ownership.|]",
            "I would like to change the email address on my account from {email} to a new one, as [I am leaving my current employer|the old inbox is being closed]. [The settings page asks me to confirm via the old address, which I will soon no longer have.|I could not find this option in the app.] Please advise [how to proceed|on the process].",
            "Please [delete|close] my Orbitly account and all associated personal data[ in line with GDPR|]. [I no longer use your products.|I have moved to another system.] The account email is {email}. [Kindly confirm once this has been completed.|Please confirm in writing.]",
            "As the administrator of our {plan} workspace, I need to [remove a former employee|transfer ownership to a colleague|add {seats} new team members with admin rights]. [The option appears greyed out for me.|I cannot find where to do this in the settings.] Could you [help|advise]?",
        ],
        [
            'Since I enabled two-factor authentication, the app [keeps showing|repeatedly shows] "Session expired" and sends me back to the sign-in screen. The codes from my authenticator are rejected as invalid, even though [the clock on my {phone} is correct|I copy them immediately]. My account email is {email}.',
        ],
    ),
    "shipping": (
        [
            'I placed order {order} on {date} and the tracking [has not updated for {days} days|still shows "label created"|says delivered, but nothing arrived]. The carrier is {carrier}[ and the tracking number is {tracking}|]. Could you [check with them|let me know the current status|advise whether the parcel has been lost]?',
            "I need to change the delivery address for order {order}[, which has not shipped yet|]. [We are moving on {date}.|I entered my old address by mistake.] The new address is in {city}[ and I can send the full details by reply|]. [Please confirm the change before the order is dispatched.|]",
            "Order {order} arrived [today|on {date}], but [the {product} was missing from the box. Could you send the missing item as soon as possible?|I received the wrong item instead of the {product}. Please ship the correct item as soon as possible.|only one of the two parcels arrived. Could you send the second one as soon as possible?] [I do not need a refund; I simply need the item.|]",
            "Could you tell me [whether you ship to {country}|how long express delivery to {city} usually takes|whether I can collect from a {carrier} location]? [I am planning to order a {product} as a gift for {date}.|I would like to place an order for our office this week.] [Any information on delivery costs would also be appreciated.|]",
        ],
        [
            "Order {order} arrived with the box crushed and the {product} inside has a [deep scratch|cracked cover], although it [still works|powers on]. I would like a replacement unit sent out; there is no need for a refund[, and I will return the damaged one if required|].",
        ],
    ),
    "refund": (
        [
            "I was charged twice for order {order}; my bank statement shows two payments of {amount} on {date}. [Please refund the duplicate charge|I would like the second payment returned to my card ending in {last4}]. [I have attached a screenshot of the statement.|]",
            "The {product} from order {order} arrived [damaged|with a cracked casing|not working at all], and I would like to return it for a full refund[ rather than a replacement|]. [Please send me a return label.|Could you explain the return process?]",
            "I cancelled my {plan} subscription on {date}, but I was still charged {amount} [for the following month|at renewal]. [Please refund this charge.|I would like this amount refunded to my card ending in {last4}.] [My cancellation reference is {ref}.|]",
            "I [returned|sent back] the {product} {days} days ago using the prepaid label, and {carrier} shows it was delivered to your warehouse on {date}. However, I have not yet received my refund of {amount}. Could you [check the status|let me know when it will be processed]?",
        ],
        [
            "I was charged {amount} for {plan} again this month, even though I downgraded to the free tier on {date}. [The app also logs me out occasionally, but that is a separate matter.|] Please look into why this happened and return the money.",
        ],
    ),
    "feedback": (
        [
            "I wanted to [share some feedback|pass on a suggestion] about the Orbitly app. It would be [very helpful|a great improvement] to have {feature}[, especially for households with several users|]. [Otherwise I am very happy with the service.|Keep up the good work.]",
            "I would like to thank {agent} from your support team for the excellent help [last week|on {date}] with my {product}. [The issue was resolved quickly and politely.|It is rare to get such patient and knowledgeable service.] [Please pass my thanks on to their manager.|]",
            "[Frankly|To be honest], I am disappointed with the new dashboard layout introduced in version {version}. [It takes more clicks to reach my devices.|The older design was clearer and faster.] [I am not asking for anything specific; I simply hope you will reconsider.|Please pass this on to the product team.]",
        ],
        [
            "I have been a customer for {years} years and I am increasingly frustrated: the price of {plan} went up, the app feels slower and support takes days to reply. I am not requesting anything specific, but you should know you are losing loyal customers.",
        ],
    ),
}

CHAT = {
    "billing": (
        [
            "[why is my {plan} bill|how come my {plan} bill is] {amount} this month[? it was cheaper before|]",
            "[how do i|where can i] update my card [for the subscription|before it renews][ pls|]",
            "[can i get|need] [an invoice|a receipt] for order {order}[ for work|, my boss needs it|]",
            "[got a|getting] payment failed [msg|email] [but my card is fine|and idk why][??|]",
        ],
        [
            "app froze at checkout, was i charged for {order}[ or not|]?",
        ],
    ),
    "technical": (
        [
            "[app keeps crashing|app crashes] on my {device}[ since the update|, cant open it|]",
            "my {product} [says offline again|keeps dropping wifi][, already rebooted it|, tried everything|]",
            "getting {error} when i [try to sync|add a device|open the camera]",
            "[camera feed|live view] just [loading forever|black screen][ on my {phone}|][ any fix?|]",
        ],
        [
            "login screen just spins forever on my {phone}, password is [def|definitely] right",
        ],
    ),
    "account": (
        [
            "[cant log in|cant sign in|stuck at login], 2fa code [never comes|not working|keeps failing][ on my new phone| since i switched to my {phone}|]",
            "[forgot my password and [reset email never came|reset link expired]|account locked after too many tries[, what now|]|locked out of my account[ again|], reset link [expired|doesnt work]]",
            "how do i change the email on my [account|login][ pls|? old one is {email}|]",
            "[pls delete|want to delete|need to close] my account[, email is {email}|]",
        ],
        [
            "app keeps logging me out since i [turned on|enabled] 2fa[, codes say invalid|]",
        ],
    ),
    "shipping": (
        [
            "[where is my order {order}[? tracking hasnt moved in {days} days|, ordered {date}|]|when will the {product} [ship|arrive][? ordered on {date}|? its been {days} days|]|any update on {order}? {carrier} shows nothing]",
            "tracking says delivered but [nothing here|no package][, {carrier} tracking {tracking}|]",
            "can i [change|fix] the [delivery|shipping] address for {order}[ before it ships|]",
        ],
        [
            "box came crushed, {product} [works|turns on] but [want|need] a new one sent",
        ],
    ),
    "refund": (
        [
            "charged twice for {order}[, need one refunded| refund the extra pls]",
            "i want my money back for the {product}[ it broke|, doesnt work|, hate it]",
            "cancelled {plan} but still got charged {amount}[, refund pls|. want it back]",
            "how long does a refund take? [returned it {days} days ago|{carrier} says you got it]",
        ],
        [
            "[double charged|charged twice] AND the app crashed, just want the extra {amount} back",
        ],
    ),
    "feedback": (
        [
            "[love|really like|big fan of] the new [dark mode|widget|update|energy graph|scenes page][ btw|][ great job| nice work| keep it up]",
            "[pls|please|would love it if u could] add {feature}[ to the app|][ thx|]",
            "[ur|your] support [guy|agent] {agent} was super helpful today[ thx|, ty]",
        ],
        [
            "honestly [price went up|{plan} got pricier] and app got slower, just saying",
        ],
    ),
}

REVIEW = {
    "billing": (
        [
            (
                1,
                3,
                "[Price hike without warning.|Sneaky pricing.|Watch the renewal price.] [I was paying less for {plan} and now it is {amount} a month.|They raised the {plan} price and the email about it was buried.|The annual {plan} plan renewed at {amount} with no reminder and no loyalty discount.] [Hardware is still good though.|Not sure it's worth it anymore.|Why is it so much more than last year?]",
            ),
            (
                2,
                3,
                "[Confusing billing.|Billing is a mystery.] [I got charged a strange partial amount after upgrading|There were two invoices in one month] and the app [doesn't explain what they are for|gives no breakdown at all]. [Anyone know why?|Still not sure what I'm paying for.]",
            ),
        ],
        [
            (
                2,
                4,
                "Love the {product}, but I got charged {amount} for {plan} when I thought the trial lasted 30 days, not 14. Is that right? The app doesn't say anywhere.",
            ),
        ],
    ),
    "technical": (
        [
            (
                1,
                3,
                "[Great hardware, terrible app.|Love the devices but the app is a mess.] Since version {version} it crashes [every time I open the camera|on startup] on my {phone}. [Please fix.|Fix it and I'll bump my rating.]",
            ),
            (
                1,
                2,
                "Devices randomly go offline and the app shows {error}. [Reinstalled twice.|Already reset everything.] [Used to work perfectly.|Support had no answer.]",
            ),
            (
                2,
                3,
                "Widget doesn't update and notifications [arrive hours late|never arrive] on my {phone}. [Kind of defeats the purpose of a doorbell.|Missed two deliveries because of it.]",
            ),
        ],
        [
            (
                2,
                3,
                "Five stars for the hardware, one star for the app. Since the last update my {product} won't stay connected and I'm this close to asking for a refund.",
            ),
        ],
    ),
    "account": (
        [
            (
                1,
                2,
                "Locked out of my account after switching [phones|to a {phone}]. [{years} years of camera history and I can't get to it.|] [2FA codes never arrive|Reset emails never arrive] and [there is no other way to verify who I am|support just sends links to the FAQ].",
            ),
            (
                1,
                3,
                "No way to delete my account from the app, [the option doesn't exist|you have to email support and wait]. [That shouldn't be this hard.|Bad look for a privacy-focused brand.]",
            ),
            (
                2,
                3,
                "[Made a second account by accident|Accidentally signed up twice with {email}|My partner and I ended up with separate accounts] and there's no way to merge them, now my [devices|cameras|{product} and hub] are split across two logins. [Annoying.|Please sort this out.|Support says it can't be done.|]",
            ),
        ],
        [
            (
                1,
                2,
                "Works great until you enable 2FA. Now it rejects every code and I'm stuck at the login screen. Hardware is fine, I just can't get into my account.",
            ),
        ],
    ),
    "shipping": (
        [
            (
                1,
                3,
                "Product is fine but shipping was a joke. [It took {days} days|The order sat in processing for {days} days] and {carrier} [lost it once|never updated the tracking].",
            ),
            (
                1,
                2,
                "Ordered the {product} through the app[ on {date}|] and it [still hasn't arrived|showed up a week late][ and nobody answers in chat|]. [Not impressed.|Will think twice next time.]",
            ),
        ],
        [
            (
                2,
                3,
                "Great {product}, works quietly. But it came in a crushed box, a part was missing, and I'm still waiting on the replacement you promised to send.",
            ),
        ],
    ),
    "refund": (
        [
            (
                1,
                2,
                "[Paid for {plan} [for the offline recording|for the extra storage] and it [doesn't work|never activated].|Charged {amount} for a free trial I cancelled [on day two|before it ended].|Got billed {amount} twice for {plan} on {date}.] [I want my money back.|Still waiting on a refund.|Refund please.|Requested a refund and heard nothing.]",
            ),
            (
                1,
                2,
                "[Returned|Sent back] the {product} {days} days ago and still no refund[ of {amount}|]. [Getting nowhere with support.|{carrier} confirms you received it.]",
            ),
        ],
        [
            (
                2,
                4,
                "The app is nice and the support team was friendly, but the {product} stopped working after {days} days. I've sent it back and just want my {amount} returned.",
            ),
        ],
    ),
    "feedback": (
        [
            (
                4,
                5,
                "[Really solid app.|Works great.] [Setup took five minutes|Scenes are easy to set up] and [the {product} pairs instantly|everything just works]. [Would love {feature} though.|Only wish it had {feature}.]",
            ),
            (
                3,
                5,
                "[Please add|Begging for|Still waiting for] {feature}. [Otherwise|Apart from that] [a great app|I'm pretty happy with it|no complaints][ and the {product} is excellent|]. [The {version} update was a nice improvement.|]",
            ),
            (
                5,
                5,
                "[Best smart home app I've used.|Genuinely impressed.] [Support helped me in minutes|The {product} has been flawless] and the automations are [easy|a joy] to set up.",
            ),
        ],
        [
            (
                2,
                3,
                "App crashed twice this week, but honestly my bigger issue is the redesign. Everything takes more taps and the home screen is cluttered. Bring back the old layout.",
            ),
        ],
    ),
}

VOICE = {
    "billing": (
        [
            "hi i'm calling about my bill i got charged {amount} for {plan} this month and i thought it was supposed to be less [can you tell me why|can you explain that]",
            "i need to update the card on my account because the old one [expired|got replaced] and i don't want the subscription to [lapse|get cancelled]",
            "i'm looking at the invoice from {date} and there's a charge on there i don't recognize [can you explain what it is|what is that for]",
        ],
        [
            "the website kind of froze when i was paying for order {order} and i'm not sure if it went through can you check if i was charged",
        ],
    ),
    "technical": (
        [
            "hi so my {product} keeps going offline i've [unplugged it and plugged it back in|restarted it] [and reset the router|a bunch of times] and it's still doing it",
            "the app on my {phone} crashes every time i open it it just closes straight away [since the update|since last week]",
        ],
        [
            "i can log in on the computer fine but on my {phone} it just shows a white screen after i type my password so it's something with the app",
        ],
    ),
    "account": (
        [
            "hi i got a new phone and now i can't get the two factor codes so i can't log in to my account",
            "i need to change the email address on my account the old one [doesn't work anymore|was my work email and i left]",
            "my account got locked and the reset email never shows up i've checked [spam|the junk folder] [and everything|twice]",
        ],
        [
            "ever since i turned on the two step thing the app keeps logging me out and the codes don't work it says invalid",
        ],
    ),
    "shipping": (
        [
            "hi i'm calling about order {order} it was supposed to arrive [on {date}|last week] and the tracking hasn't changed in {days} days",
            "it says delivered but there's no package at my door and my neighbors don't have it either it was [the {product}|a {product}]",
            "i need to change the address on an order i just placed [it's going to my old apartment|i put the wrong zip code]",
        ],
        [
            "the box came all crushed the {product} works but there's a big crack in it i'd like you to send me a new one",
        ],
    ),
    "refund": (
        [
            "i was charged twice for the same order {order} and i'd like the extra charge put back on my card",
            "i sent back the {product} [a couple weeks ago|like {days} days ago] and i still haven't gotten my refund",
            "i cancelled my subscription but you still charged me {amount} so i want that refunded please",
        ],
        [
            "i was charged twice this month and also the app keeps freezing but mainly i just want the extra charge refunded",
        ],
    ),
    "feedback": (
        [
            "i just wanted to say the person who helped me [last week|on {date}] {agent} was really great and i wanted to pass that on",
            "i wanted to suggest something it would be really nice if the app had {feature}",
        ],
        [
            "i'm not calling to complain exactly but the prices keep going up and the app's gotten slower i just think someone should know",
        ],
    ),
}

TEMPLATES: dict[str, dict[str, tuple[list[Any], list[Any]]]] = {
    "email": EMAIL,
    "chat": CHAT,
    "app_review": REVIEW,
    "voice_transcript": VOICE,
}

# --------------------------------------------------------------------------
# Slice stylers
# --------------------------------------------------------------------------

FORMAL_GREETINGS = [
    "Hello,",
    "Dear Orbitly Support,",
    "Good morning,",
    "Good afternoon,",
    "To whom it may concern,",
    "Dear Support Team,",
    "Hello Orbitly team,",
]
FORMAL_OPENERS = [
    "I hope you are well.",
    "I have been an Orbitly customer since {year}.",
    "I am contacting you regarding my account.",
    "Thank you for taking the time to read this.",
    "",
    "",
    "",
]
FORMAL_CLOSERS = [
    "Thank you in advance for your help.",
    "I look forward to your reply.",
    "Many thanks for your assistance.",
    "I would appreciate a prompt response.",
    "Please let me know if you need any further information.",
    "",
]
FORMAL_SIGNOFFS = ["Kind regards,", "Best regards,", "Sincerely,", "Many thanks,", "Regards,"]
# Label-neutral context sentences that pad emails to realistic lengths.
EMAIL_CONTEXT = [
    "This is the second time I am contacting you about this matter.",
    "I have already searched the help centre without finding an answer.",
    "I would be grateful if this could be handled quickly, as I am travelling next week.",
    "For reference, the account is registered under {email}.",
    "My customer reference from a previous conversation is {ref}.",
    "I tried the chat assistant first, but it could not help with this.",
    "We use Orbitly across [two offices|our home and a holiday flat|several rental properties].",
    "I can be reached at this address or by phone during business hours.",
    "[My partner|A colleague] suggested I write to you directly.",
]
CASUAL_GREETINGS = ["Hi there,", "Hey folks,", "Hi team,", "Hi,"]
CASUAL_CLOSERS = ["Thanks a lot!", "Cheers for the help.", "Appreciate it.", ""]
CASUAL_SIGNOFFS = ["Thanks,", "Cheers,", "Best,"]
CONTRACTIONS = [
    ("I am", "I'm"),
    ("do not", "don't"),
    ("does not", "doesn't"),
    ("cannot", "can't"),
    ("could not", "couldn't"),
    ("I have", "I've"),
    ("I would", "I'd"),
    ("It is", "It's"),
    ("is not", "isn't"),
    ("has not", "hasn't"),
    ("will not", "won't"),
    ("We are", "We're"),
]


def style_email(body: str, rng: random.Random, slots: Slots) -> tuple[str, str]:
    formal = rng.random() < 0.87
    if formal:
        greeting = rng.choice(FORMAL_GREETINGS) if rng.random() < 0.85 else ""
        opener = rng.choice(FORMAL_OPENERS).format(year=rng.randint(2018, 2024))
        closer = rng.choice(FORMAL_CLOSERS)
        sign = rng.choice(FORMAL_SIGNOFFS) + "\n" + (slots["name"] if rng.random() < 0.7 else slots["first"])
    else:
        greeting = rng.choice(CASUAL_GREETINGS)
        opener = ""
        closer = rng.choice(CASUAL_CLOSERS)
        sign = rng.choice(CASUAL_SIGNOFFS) + "\n" + slots["first"]
        for a, b in CONTRACTIONS:
            body = body.replace(a, b)
    n_context = rng.choices([0, 1, 2, 3], weights=[35, 35, 20, 10])[0]
    context = " ".join(expand(c, rng, slots) for c in rng.sample(EMAIL_CONTEXT, n_context))
    if not formal:
        for a, b in CONTRACTIONS:
            context = context.replace(a, b)
    middle = " ".join(p for p in (opener, body, context, closer) if p)
    parts = [p for p in (greeting, middle, sign if rng.random() < 0.9 else "") if p]
    return "\n\n".join(parts), "formal" if formal else "casual"


ABBREV = [
    (r"\byou\b", ["u"]),
    (r"\byour\b", ["ur"]),
    (r"\bplease\b", ["pls", "plz"]),
    (r"\bthanks\b", ["thx", "ty"]),
    (r"\bbecause\b", ["bc", "cuz"]),
    (r"\bdon't\b", ["dont"]),
    (r"\bcan't\b", ["cant"]),
    (r"\bi'm\b", ["im"]),
    (r"\bdoesn't\b", ["doesnt"]),
    (r"\bright now\b", ["rn"]),
    (r"\bi don't know\b", ["idk"]),
    (r"\bwhat\b", ["wat", "wht"]),
    (r"\bare\b", ["r"]),
    (r"\bthe\b", ["teh"]),
]
KEYBOARD_NEIGHBOURS = {
    "a": "qs",
    "e": "wr",
    "i": "uo",
    "o": "ip",
    "n": "bm",
    "s": "ad",
    "t": "ry",
    "r": "et",
    "l": "k",
    "c": "xv",
    "d": "sf",
    "h": "gj",
    "m": "n",
    "g": "fh",
    "p": "o",
    "u": "yi",
}
CHAT_OPENERS = ["", "", "", "hi ", "hey ", "hello? ", "hi there ", "yo ", "quick q: ", "um "]
CHAT_CLOSERS = ["", "", "", "?", "??", "!", " thx", " pls", " asap", " help", " :(", " ty"]


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(4)
    if op == 0:  # swap adjacent
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == 1:  # drop
        return word[:i] + word[i + 1 :]
    if op == 2:  # double
        return word[:i] + word[i] + word[i:]
    ch = word[i].lower()
    if ch in KEYBOARD_NEIGHBOURS:
        return word[:i] + rng.choice(KEYBOARD_NEIGHBOURS[ch]) + word[i + 1 :]
    return word[:i] + word[i + 1 :]


def style_chat(body: str, rng: random.Random, slots: Slots) -> tuple[str, str]:
    text = rng.choice(CHAT_OPENERS) + body
    if rng.random() < 0.8:
        text = text.lower()
    for pattern, subs in ABBREV:
        if rng.random() < (0.15 if subs[0] in ("teh", "r", "wat") else 0.55):

            def _pick(_m: re.Match[str], options: list[str] = subs) -> str:
                return rng.choice(options)

            text = re.sub(pattern, _pick, text)
    words = text.split(" ")
    n_typos = rng.choices([0, 1, 2], weights=[45, 40, 15])[0]
    candidates = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 4]
    for i in rng.sample(candidates, min(n_typos, len(candidates))):
        words[i] = _typo(words[i], rng)
    text = " ".join(words)
    if not text.endswith("?") and not text.endswith("!"):
        text += rng.choice(CHAT_CLOSERS)
    return text, "casual"


STAR_FORMATS = ["stars", "fraction", "words", "rating"]
REVIEW_LEADS = [
    "Been using Orbitly for {years} years.",
    "Long-time user here.",
    "Updated review:",
    "Edit after {days} days:",
    "I have a hub, {seats} cameras and a few plugs.",
    "Bought the {product} for my parents.",
    "Switched over from another brand last year.",
    "Using it on my {phone}.",
]
REVIEW_TAILS_LOW = [
    "Will update my review if this changes.",
    "Hardware itself is well made.",
    "Customer service was polite at least.",
    "Would not recommend right now.",
    "Two stars off until this is sorted.",
    "Really expected better for the price.",
]
REVIEW_TAILS_HIGH = ["Recommended.", "Great value overall.", "Would buy again.", "Easily the best app of its kind."]
REVIEW_CASUAL_TAILS = ["", "", " smh", " ugh.", " lol", " tbh", "!!", " 🙄", " 👍", " just saying."]


def style_review(stars_text: tuple[int, int, str], rng: random.Random, slots: Slots) -> tuple[str, str]:
    lo, hi, body = stars_text
    stars = rng.randint(lo, hi)
    if rng.random() < 0.4:
        body = expand(rng.choice(REVIEW_LEADS), rng, slots) + " " + body
    if rng.random() < 0.45:
        body += " " + expand(rng.choice(REVIEW_TAILS_HIGH if stars >= 4 else REVIEW_TAILS_LOW), rng, slots)
    fmt = rng.choice(STAR_FORMATS)
    prefix = {
        "stars": "★" * stars + "☆" * (5 - stars) + " ",
        "fraction": f"{stars}/5 - ",
        "words": f"{stars} star{'s' if stars != 1 else ''}. ",
        "rating": f"Rating: {stars}/5. ",
    }[fmt]
    formal = rng.random() < 0.3
    if not formal:
        if rng.random() < 0.3:
            body = body.lower()
        body = body.rstrip(".") + rng.choice(REVIEW_CASUAL_TAILS) if rng.random() < 0.6 else body
        for a, b in CONTRACTIONS:
            body = body.replace(a, b)
    return prefix + body, "formal" if formal else "casual"


ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
ORDINALS = {1: "first", 2: "second", 3: "third", 5: "fifth", 8: "eighth", 9: "ninth", 12: "twelfth", 20: "twentieth"}


def num_words(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    rest = n % 100
    return ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + num_words(rest))


def ordinal_words(n: int) -> str:
    if n in ORDINALS:
        return ORDINALS[n]
    if n > 20 and n % 10 in (1, 2, 3, 5, 8, 9):
        return TENS[n // 10] + " " + ORDINALS[n % 10]
    return num_words(n) + "th"


FILLERS = ["um", "uh", "um", "uh", "like", "you know", "so", "i mean"]
VOICE_CONTEXT = [
    "",
    "",
    "",
    "i've been a customer for like {years} years",
    "i already tried the website",
    "the account's under {first} {last}",
    "i tried the chat thing but it didn't help",
    "my wife set it all up so i'm not sure of the details",
    "this is the second time i'm calling",
]
VOICE_OPENERS = [
    "",
    "yeah hi",
    "hi um",
    "hello yes",
    "uh hi there",
    "hi yeah so",
    "okay um hi",
    "hi my name is {first}",
    "yeah hello i've been on hold for a while",
]
VOICE_CLOSERS = [
    "",
    "",
    "thanks",
    "okay thank you",
    "um yeah that's it",
    "can you help with that",
    "if someone could call me back that'd be great",
    "yeah so that's why i'm calling",
]


def _speak(text: str, rng: random.Random) -> str:
    def order(m: re.Match[str]) -> str:
        return str(m.group(1)).lower() + " " + " ".join(ONES[int(d)] for d in m.group(2))

    def money(m: re.Match[str]) -> str:
        dollars, cents = int(m.group(1)), int(m.group(2))
        if cents == 0:
            return f"{num_words(dollars)} dollars"
        if rng.random() < 0.5:
            return f"{num_words(dollars)} {num_words(cents)}"
        return f"{num_words(dollars)} dollars and {num_words(cents)} cents"

    def date(m: re.Match[str]) -> str:
        return f"{m.group(1)} {ordinal_words(int(m.group(2)))}"

    text = re.sub(r"#([A-Z])(\d{5})", order, text)
    text = re.sub(r"\$(\d+)\.(\d\d)", money, text)
    text = re.sub(r"\b(" + "|".join(MONTHS) + r") (\d{1,2})\b", date, text)
    text = re.sub(r"\b(\d{1,2})\b", lambda m: num_words(int(m.group(1))), text)
    return text


def style_voice(body: str, rng: random.Random, slots: Slots) -> tuple[str, str]:
    opener = rng.choice(VOICE_OPENERS).format(first=slots["first"])
    closer = rng.choice(VOICE_CLOSERS)
    context = rng.choice([c for c in VOICE_CONTEXT if "my name" not in opener or "{first}" not in c])
    context = context.format_map(slots)
    parts = [opener, context, body, closer] if rng.random() < 0.5 else [opener, body, context, closer]
    text = " ".join(p for p in parts if p)
    text = _speak(text, rng).lower()
    text = re.sub(r"[^\w\s']", " ", text)
    words = text.split()
    out: list[str] = []
    for i, w in enumerate(words):
        if i > 0 and rng.random() < 0.09:
            out.append(rng.choice(FILLERS))
        if rng.random() < 0.012:  # self-repetition, as in "i i"
            out.append(w)
        out.append(w)
    return " ".join(out), "casual"


STYLERS: dict[str, Callable[[str, random.Random, Slots], tuple[str, str]]] = {
    "email": style_email,
    "chat": style_chat,
    "voice_transcript": style_voice,
}  # app_review uses style_review (its templates carry a star range)
CHANNELS = {
    "email": ["email"],
    "chat": ["web_chat", "web_chat", "in_app_chat", "whatsapp"],
    "voice_transcript": ["phone"],
}

# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------


def largest_remainder(total: int, shares: dict[str, float]) -> dict[str, int]:
    raw = {k: total * v / sum(shares.values()) for k, v in shares.items()}
    counts = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (-(raw[k] - counts[k]), LABELS.index(k)))[: total - sum(counts.values())]:
        counts[k] += 1
    return counts


def make_ticket(slice_: str, label: str, hard: bool, rng: random.Random) -> Row:
    normal, hard_templates = TEMPLATES[slice_][label]
    lo, hi = WORD_RANGES[slice_]
    for _ in range(200):
        slots = Slots(rng)
        template = rng.choice(hard_templates if hard else normal)
        if slice_ == "app_review":
            lo_stars, hi_stars, review = template
            text, register = style_review((lo_stars, hi_stars, expand(review, rng, slots)), rng, slots)
        else:
            text, register = STYLERS[slice_](expand(template, rng, slots), rng, slots)
        n_words = len(text.split())
        if lo <= n_words <= hi:
            break
    else:
        raise RuntimeError(f"could not fit {slice_}/{label} into {lo}-{hi} words: {text!r}")
    if slice_ == "app_review":
        device = slots.get("phone") or slots.get("device")
        if device in IOS_DEVICES:
            channel = "app_store_ios"
        elif device in ANDROID_DEVICES:
            channel = "google_play"
        else:
            channel = rng.choice(["app_store_ios", "google_play"])
    else:
        channel = rng.choice(CHANNELS[slice_])
    return {
        "input": text,
        "task": slice_,
        "reference": label,
        "metadata": {
            "channel": channel,
            "language_register": register,
            "length": "short" if n_words < SHORT_BELOW[slice_] else "long",
        },
        "_hard": hard,
    }


def generate() -> tuple[list[Row], dict[str, int]]:
    rng = random.Random(SEED)
    rows: list[Row] = []
    for slice_ in SLICES:
        counts = largest_remainder(SLICE_SIZES[slice_], SLICE_SHARES[slice_])
        for label in LABELS:
            n = counts[label]
            n_hard = max(1, round(n * HARD_SHARE))
            for i in range(n):
                rows.append(make_ticket(slice_, label, i < n_hard, rng))
    rng.shuffle(rows)
    hard = sum(r.pop("_hard") for r in rows)
    out = []
    for i, r in enumerate(rows, 1):
        out.append({"id": f"ticket-{i:04d}", **r})
    stats = {"hard": hard}
    return out, stats


def counts_table(rows: list[Row]) -> str:
    c = Counter((r["task"], r["reference"]) for r in rows)
    head = "| slice | " + " | ".join(LABELS) + " | total |"
    sep = "|---|" + "---:|" * (len(LABELS) + 1)
    lines = [head, sep]
    for s in SLICES:
        cells = [c[(s, lab)] for lab in LABELS]
        lines.append(f"| {s} | " + " | ".join(map(str, cells)) + f" | {sum(cells)} |")
    tot = [sum(c[(s, lab)] for s in SLICES) for lab in LABELS]
    lines.append("| **total** | " + " | ".join(map(str, tot)) + f" | {sum(tot)} |")
    return "\n".join(lines)


def n_templates() -> int:
    return sum(len(a) + len(b) for t in TEMPLATES.values() for a, b in t.values())


def render_readme(rows: list[Row], stats: dict[str, int]) -> str:
    return f"""# Demo data: `support_tickets.jsonl`

Customer-support ticket **intent classification** for *Orbitly*, a fictional company that sells
smart-home hardware through an online store and runs a subscription app. Each ticket gets exactly one
of six labels: `billing`, `technical`, `account`, `shipping`, `refund`, `feedback`.

**Synthetic.** Every ticket was generated by `scripts/make_demo_data.py` from {n_templates()} templates and
slot fillers with a fixed seed (`random.Random({SEED})`); re-running the script reproduces this file
byte for byte. No real customer data is included. Licence: same as the project (Apache-2.0).

## Fields (one JSON object per line)

| field | meaning |
|---|---|
| `id` | `ticket-0001` ... `ticket-{len(rows):04d}` (assigned after a seeded shuffle) |
| `input` | the ticket text |
| `task` | slice: `email`, `chat`, `app_review`, `voice_transcript` |
| `reference` | gold label |
| `metadata.channel` | `email`, `web_chat`, `in_app_chat`, `whatsapp`, `app_store_ios`, `google_play`, `phone` |
| `metadata.language_register` | `formal` or `casual` |
| `metadata.length` | `short` or `long` (word-count threshold per slice: {", ".join(f"{k} < {v}" for k, v in SHORT_BELOW.items())}) |

Slices: `email` (formal, multi-sentence, greetings, order numbers), `chat` (short, lowercase,
abbreviations, typos), `app_review` (public star-rated reviews mixing praise and complaint; the hardest
slice), `voice_transcript` (speech-to-text: no punctuation, fillers, numbers spoken as words).

## Counts (label x slice)

{counts_table(rows)}

About 8% of tickets ({stats["hard"]}) are deliberately hard or ambiguous but still have a defensible
label. Labelling rules: money back requested -> `refund` (even for a double charge or a damaged item);
questions about charges or invoices without asking for money back -> `billing`; 2FA, passwords,
locked accounts, email changes -> `account`; crashes, errors, broken sign-in *screens* with working
credentials -> `technical`; delivery, tracking, missing items, damaged items to be *replaced* ->
`shipping`; praise, suggestions and general complaints with no concrete request -> `feedback`.
"""


def serialise(rows: list[Row]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="do not write; fail if the files on disk differ")
    args = ap.parse_args()

    rows, stats = generate()
    inputs = [r["input"] for r in rows]
    dup = len(inputs) - len(set(inputs))
    assert len(rows) == sum(SLICE_SIZES.values()), len(rows)
    assert dup / len(rows) < 0.01, f"too many duplicate inputs: {dup}"
    for s in SLICES:
        assert {r["reference"] for r in rows if r["task"] == s} == set(LABELS), s

    jsonl, readme = serialise(rows), render_readme(rows, stats)
    if args.check:
        ok = OUT_JSONL.read_text(encoding="utf-8") == jsonl and OUT_README.read_text(encoding="utf-8") == readme
        print("up to date" if ok else "OUT OF DATE: re-run scripts/make_demo_data.py")
        return 0 if ok else 1
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    OUT_JSONL.write_text(jsonl, encoding="utf-8", newline="\n")
    OUT_README.write_text(readme, encoding="utf-8", newline="\n")

    print(counts_table(rows))
    print(f"\nrows={len(rows)} duplicates={dup} hard={stats['hard']} templates={n_templates()}")
    print(f"wrote {OUT_JSONL.relative_to(ROOT)} and {OUT_README.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

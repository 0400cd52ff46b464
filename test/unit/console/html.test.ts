import { escapeHtml, markup, preText, raw, template } from '../../../console/html';

describe('markup templates', () => {
  it('escapes every interpolated value unless it is itself markup', () => {
    const name = `<img src=x onerror="alert('x')">&`;
    expect(markup`<p title="${name}">${name}</p>`.text).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;">' +
        '&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;</p>',
    );
    expect(markup`<div>${markup`<b>${'a<b'}</b>`}</div>`.text).toBe('<div><b>a&lt;b</b></div>');
    expect(markup`${raw('<hr>')}`.text).toBe('<hr>');
  });

  it('renders lists and numbers, and leaves out null, undefined and false', () => {
    const items = ['a', 'b'].map((x) => markup`<li>${x}</li>`);
    expect(markup`<ul>${items}</ul>`.text).toBe('<ul><li>a</li><li>b</li></ul>');
    expect(markup`${0}|${null}|${undefined}|${false}|${true}`.text).toBe('0||||true');
  });

  it('fills the placeholders of a strings template with markup, escaping the text around them', () => {
    expect(template('Escalated {time} <now>', { time: markup`<time>5 min</time>` }).text).toBe(
      'Escalated <time>5 min</time> &lt;now&gt;',
    );
    expect(template('{missing} stays', {}).text).toBe('{missing} stays');
  });

  it('keeps a patient message exactly as written, with no formatting whitespace added', () => {
    expect(preText('msg-text', '  line 1\n<b>line 2</b>').text).toBe(
      '<div class="msg-text">  line 1\n&lt;b&gt;line 2&lt;/b&gt;</div>',
    );
  });

  it('escapes the five characters that matter in text and attributes', () => {
    expect(escapeHtml(`'"<>&`)).toBe('&#39;&quot;&lt;&gt;&amp;');
  });
});
